import { z } from 'zod';
import { badRequest } from './api-error.js';

const Token = z.object({ v: z.literal('kd1'), rv: z.number().int().nonnegative(), key: z.string() });
type Token = z.infer<typeof Token>;

/** A continue token that resumes a list after `key` (the last namespace/name returned). */
export function encodeContinue(rv: number, key: string): string {
  const token: Token = { v: 'kd1', rv, key };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

/** Decodes a continue token; anything this server did not mint is a 400, like kube-apiserver. */
export function decodeContinue(token: string): { rv: number; key: string } {
  try {
    const parsed = Token.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return { rv: parsed.rv, key: parsed.key };
  } catch {
    throw badRequest(`continue key is not valid: ${JSON.stringify(token)}`);
  }
}

/** Parses `limit`; 0 or absent means no limit. */
export function parseLimit(raw: string | null): number {
  if (raw === null || raw === '') return 0;
  if (!/^\d+$/.test(raw)) throw badRequest(`invalid limit ${JSON.stringify(raw)}: must be a non-negative integer`);
  return Number(raw);
}
