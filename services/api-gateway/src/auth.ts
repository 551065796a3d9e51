import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { DomainError } from '@jangar/service-kit';
import type { Principal } from '@jangar/contracts';

const TokenEntry = z.object({
  token: z.string().min(8, { message: 'tokens must be at least 8 characters' }),
  subject: z.string().min(1),
  namespaces: z.array(z.string().min(1)).min(1),
  roles: z.array(z.string()).default([]),
});
const TokenTable = z.array(TokenEntry);

/** An authenticated caller: who it is and where it may act. */
export interface Caller extends Principal {
  /** Namespaces the token is bound to; `*` means every namespace. */
  namespaces: readonly string[];
}

interface Binding {
  digest: Buffer;
  caller: Caller;
  /** The dev token: good only for a request addressed to this machine by a loopback name. */
  loopbackOnly?: boolean;
}

const digest = (token: string) => createHash('sha256').update(token).digest();

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The host name of a `Host` header, without its port; brackets kept on an IPv6 literal. */
function hostnameOf(host: string | undefined): string {
  const value = (host ?? '').trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  return value.split(':')[0] ?? '';
}

/**
 * Resolves bearer tokens to callers. Tokens are kept only as SHA-256 digests and compared in
 * constant time, so neither memory dumps nor timing reveal them.
 */
export class Authenticator {
  private readonly bindings: Binding[];

  constructor(tokensJson: string | undefined, devToken: string | undefined) {
    let entries: z.infer<typeof TokenTable> = [];
    if (tokensJson) {
      let raw: unknown;
      try {
        raw = JSON.parse(tokensJson);
      } catch {
        throw new Error('JANGAR_API_TOKENS is not valid JSON');
      }
      const parsed = TokenTable.safeParse(raw);
      if (!parsed.success)
        throw new Error(`JANGAR_API_TOKENS: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      entries = parsed.data;
    }
    this.bindings = entries.map((e) => ({
      digest: digest(e.token),
      caller: { subject: e.subject, namespaces: e.namespaces, roles: e.roles },
    }));
    if (devToken) {
      this.bindings.push({
        digest: digest(devToken),
        caller: { subject: 'dev', namespaces: ['*'], roles: ['admin', 'approver'] },
        loopbackOnly: true,
      });
    }
  }

  /**
   * The caller behind an `Authorization` header; 401 when there is none or it is unknown. `host` is
   * the request's `Host` header: listening on loopback keeps other machines out, but not a web page
   * whose name an attacker rebinds to 127.0.0.1 (DNS rebinding), and such a page's requests carry
   * its own name. So the dev token, known to everyone, is good only with a loopback host name.
   */
  authenticate(header: string | undefined, host?: string): Caller {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) throw new DomainError('unauthorized', 'send "Authorization: Bearer <token>"');
    const presented = digest(match[1] as string);
    const found = this.bindings.find((b) => timingSafeEqual(b.digest, presented));
    if (!found) throw new DomainError('unauthorized', 'the token is not valid');
    if (found.loopbackOnly && !LOOPBACK_HOSTS.has(hostnameOf(host))) {
      throw new DomainError('unauthorized', 'the dev token is good only for requests to localhost, 127.0.0.1 or [::1]');
    }
    return found.caller;
  }
}

/** True when the caller may act in `namespace`. */
export function mayAccess(caller: Caller, namespace: string): boolean {
  return caller.namespaces.includes('*') || caller.namespaces.includes(namespace);
}

/** A list narrowed to a namespace outside the caller's is forbidden (403); no namespace lists every one the caller may read. */
export function assertMayList(caller: Caller, namespace: string | undefined): void {
  if (namespace && !mayAccess(caller, namespace)) throw new DomainError('forbidden', `the token may not read namespace "${namespace}"`);
}

/** Writes outside the caller's namespaces are forbidden (403); `path` is where the request names the namespace. */
export function assertMayWrite(caller: Caller, namespace: string, path = 'metadata.namespace'): void {
  if (!mayAccess(caller, namespace)) {
    throw new DomainError('forbidden', `the token may not write in namespace "${namespace}"`, {
      errors: [{ path, message: "not one of the token's namespaces" }],
    });
  }
}
