import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { Svcm, type Service, type ServiceMsg } from '@nats-io/services';
import type { RpcDefinition } from '@jangar/contracts';
import type { z } from 'zod';
import { DomainError, TransientError } from './errors.js';
import type { Logger } from './logger.js';
import { extractTrace, injectTrace, SpanKind, withSpan } from './tracing.js';

/** Any RPC definition. */
export type AnyRpc = RpcDefinition<z.ZodType, z.ZodType>;
/** What a successful call of `D` returns. */
export type RpcValue<D extends AnyRpc> = Extract<z.infer<D['response']>, { ok: true }> extends { value: infer V } ? V : never;

/** One endpoint and the function that answers it. */
export interface RpcEndpoint<D extends AnyRpc = AnyRpc> {
  def: D;
  handle(request: z.infer<D['request']>): Promise<RpcValue<D>>;
}

/** Pairs an RPC definition with its handler, keeping the types tied together. */
export function endpoint<D extends AnyRpc>(def: D, handle: (request: z.infer<D['request']>) => Promise<RpcValue<D>>): RpcEndpoint<D> {
  return { def, handle };
}

/** What a reply keeps free of its payload limit for the envelope's headers. */
const REPLY_ROOM_BYTES = 4 * 1024;

/**
 * Registers the service with `@nats-io/services` (so PING/INFO/STATS work and readiness can find
 * it) and serves its endpoints; replicas share a queue group, so each request reaches one.
 */
export async function serveRpc(nc: NatsConnection, name: string, endpoints: readonly RpcEndpoint[], logger: Logger): Promise<Service> {
  const service = await new Svcm(nc).add({ name, version: '0.1.0', description: `Jangar ${name}` });
  const maxReplyBytes = () => (nc.info?.max_payload ?? 1024 * 1024) - REPLY_ROOM_BYTES;
  for (const ep of endpoints) {
    service.addEndpoint(ep.def.name, {
      subject: ep.def.subject,
      handler: (err: Error | null, msg: ServiceMsg) => {
        if (err) {
          logger.error({ err }, 'rpc endpoint failed');
          return;
        }
        void answer(ep, msg, maxReplyBytes(), logger);
      },
    });
  }
  return service;
}

/**
 * The same request for a page half as long, or undefined when it asks for no page (it has no
 * `limit`) or for one item.
 */
function halved(request: unknown): unknown {
  const limit = (request as { limit?: unknown } | null)?.limit;
  return typeof limit === 'number' && limit > 1 ? { ...(request as object), limit: Math.floor(limit / 2) } : undefined;
}

async function answer(ep: RpcEndpoint, msg: ServiceMsg, maxBytes: number, logger: Logger): Promise<void> {
  const reply = (body: unknown) => msg.respond(JSON.stringify(body));
  await withSpan(`rpc ${ep.def.subject}`, { kind: SpanKind.SERVER, parent: extractTrace(msg.headers) }, async () => {
    const parsed = ep.def.request.safeParse(msg.json());
    if (!parsed.success) {
      reply({ ok: false, error: { code: 'validation_failed', detail: 'invalid rpc request' } });
      return;
    }
    try {
      // A page of large objects (specs of hundreds of kilobytes) can outgrow what the bus carries in
      // one reply, which NATS refuses outright. Pages are keyset-paged and `limit` is a maximum,
      // so the page is asked again half as long until it fits: a shorter page, with its token.
      let request: unknown = parsed.data;
      for (;;) {
        const body = JSON.stringify({ ok: true, value: await ep.handle(request) });
        const bytes = Buffer.byteLength(body);
        const shorter = bytes > maxBytes ? halved(request) : undefined;
        if (shorter === undefined) {
          if (bytes > maxBytes) throw new Error(`the answer is ${bytes} bytes, more than the ${maxBytes} a reply carries`);
          msg.respond(body);
          return;
        }
        request = shorter;
      }
    } catch (err) {
      if (err instanceof DomainError) {
        reply({ ok: false, error: err.toPayload() });
        return;
      }
      // The database away, or past its deadline: the caller may retry (503), where a bug may not (500).
      if (err instanceof TransientError) {
        logger.warn({ err, rpc: ep.def.subject }, 'rpc handler could not answer for now');
        reply({ ok: false, error: { code: 'unavailable', detail: `${ep.def.service} cannot answer for now; retry` } });
        return;
      }
      logger.error({ err, rpc: ep.def.subject }, 'rpc handler failed');
      reply({ ok: false, error: { code: 'internal', detail: 'the service failed to answer' } });
    }
  });
}

/** Calls an RPC; a domain error in the reply is thrown as a DomainError, no responder as `unavailable`. */
export async function callRpc<D extends AnyRpc>(
  nc: NatsConnection,
  def: D,
  request: z.input<D['request']>,
  timeoutMs = 5_000,
): Promise<RpcValue<D>> {
  return withSpan(`call ${def.subject}`, { kind: SpanKind.CLIENT }, async () => {
    const h = natsHeaders();
    injectTrace(h);
    // Outside the try: a request its own schema refuses is the caller's bug, not the service away.
    const payload = JSON.stringify(def.request.parse(request));
    let reply;
    try {
      reply = await nc.request(def.subject, payload, { timeout: timeoutMs, headers: h });
    } catch (err) {
      throw new DomainError('unavailable', `${def.service} did not answer`, { cause: err });
    }
    const body = def.response.parse(reply.json()) as
      { ok: true; value: RpcValue<D> } | { ok: false; error: Parameters<typeof DomainError.fromPayload>[0] };
    if (!body.ok) throw DomainError.fromPayload(body.error);
    return body.value;
  });
}

/** Names of the given services that answered a PING within `timeoutMs`. */
export async function pingServices(nc: NatsConnection, names: readonly string[], timeoutMs = 500): Promise<Set<string>> {
  const client = new Svcm(nc).client({ strategy: 'timer', maxWait: timeoutMs });
  const seen = new Set<string>();
  const iter = await client.ping();
  for await (const identity of iter) {
    if (names.includes(identity.name)) seen.add(identity.name);
  }
  return seen;
}
