import type { z } from 'zod';
import { envelopeOf, DecisionPayload, OutcomePayload, RequestPayload, RunStatusPayload } from './messages.js';
import { z as zod } from 'zod';
import { isTerminalPhase } from './runs.js';
import { KubeObject } from './rest.js';
import type { RunPhase } from './primitives/agent-run.js';

/**
 * Subjects are defined once, as values that pair the subject's shape with its message schema;
 * the publisher and every consumer import the same value.
 */
export interface SubjectDefinition<T extends string, S extends z.ZodType> {
  readonly prefix: string;
  readonly tokens: readonly T[];
  readonly stream: string;
  readonly schema: S;
  /** The concrete subject for one message. */
  subject(params: Readonly<Record<T, string>>): string;
  /** A filter: given tokens are fixed, the others match anything. */
  filter(params?: Partial<Readonly<Record<T, string>>>): string;
}

/** Makes a value safe as one NATS subject token (Kubernetes names may contain dots). */
export function subjectToken(value: string): string {
  if (value === '') throw new Error('empty subject token');
  return value.replace(/[.*>\s]/g, '_');
}

function defineSubject<T extends string, S extends z.ZodType>(
  prefix: string,
  tokens: readonly T[],
  stream: string,
  schema: S,
): SubjectDefinition<T, S> {
  return {
    prefix,
    tokens,
    stream,
    schema,
    subject: (params) => [prefix, ...tokens.map((t) => subjectToken(params[t]))].join('.'),
    filter: (params = {}) => [prefix, ...tokens.map((t) => (params[t] === undefined ? '*' : subjectToken(params[t] as string)))].join('.'),
  };
}

export const STREAM_NAMES = {
  requests: 'JANGAR_REQUESTS',
  decisions: 'JANGAR_DECISIONS',
  outcomes: 'JANGAR_OUTCOMES',
  runStatus: 'JANGAR_RUN_STATUS',
  tombstones: 'JANGAR_TOMBSTONES',
  deadLetters: 'JANGAR_DEAD_LETTERS',
} as const;

export const RequestMessage = envelopeOf(RequestPayload);
export type RequestMessage = zod.infer<typeof RequestMessage>;
export const DecisionMessage = envelopeOf(DecisionPayload);
export type DecisionMessage = zod.infer<typeof DecisionMessage>;
export const OutcomeMessage = envelopeOf(OutcomePayload);
export type OutcomeMessage = zod.infer<typeof OutcomeMessage>;
export const RunStatusMessage = zod.object({ occurredAt: zod.string(), payload: RunStatusPayload });
export type RunStatusMessage = zod.infer<typeof RunStatusMessage>;
/** What the provisioner is about to delete for a request: the object as it was, kept to answer a redelivery once it is gone. */
export const TombstoneMessage = zod.object({
  requestKey: zod.string(),
  /** The id of the request that recorded it; absent on tombstones recorded before it was kept. */
  requestId: zod.string().optional(),
  deletedAt: zod.string(),
  object: KubeObject,
});
export type TombstoneMessage = zod.infer<typeof TombstoneMessage>;

/**
 * Why a consumer gave up on a message it parked: it did not match its schema, or its handler failed
 * in a way no retry fixes. A dead letter's body is the message as delivered, byte for byte; this
 * goes in its headers ({@link DEAD_LETTER_HEADERS}), beside the original's own (its trace and
 * schema version), at most about 2 KB in all.
 */
export const DeadLetterInfo = zod.object({
  consumer: zod.string(),
  stream: zod.string(),
  streamSequence: zod.coerce.number().int().nonnegative(),
  subject: zod.string(),
  deliveryCount: zod.coerce.number().int().positive(),
  reason: zod.enum(['schema', 'poison']),
  /**
   * The request was answered when it was given up on (`500 internal`, stored for its deliveryId):
   * publishing it again could make what that answer says never happened, so it is not replayed.
   * Unsaid, it is taken as answered: not known to be safe to replay.
   */
  answered: zod.stringbool().default(true),
  error: zod.string(),
  parkedAt: zod.string(),
});
export type DeadLetterInfo = zod.infer<typeof DeadLetterInfo>;

/** The NATS header that carries each field of {@link DeadLetterInfo}. */
export const DEAD_LETTER_HEADERS: Readonly<Record<keyof DeadLetterInfo, string>> = {
  consumer: 'Jangar-Dead-Consumer',
  stream: 'Jangar-Dead-Stream',
  streamSequence: 'Jangar-Dead-Sequence',
  subject: 'Jangar-Dead-Subject',
  deliveryCount: 'Jangar-Dead-Deliveries',
  reason: 'Jangar-Dead-Reason',
  answered: 'Jangar-Dead-Answered',
  error: 'Jangar-Dead-Error',
  parkedAt: 'Jangar-Dead-At',
};

/**
 * Names the one durable a replayed dead letter is for: it goes out on its original subject, and
 * every other durable of that subject passes it by. Handling it again there could carry out an old
 * decision whose run, slot and tombstone are long gone.
 */
export const REPLAY_FOR_HEADER = 'Jangar-Replay-For';

/** Reads a dead letter's {@link DeadLetterInfo} from its headers (`get` as NATS headers have it). */
export function deadLetterInfo(headers: { get(name: string): string }): DeadLetterInfo {
  // NATS headers answer '' for a header a message does not have.
  const fields = Object.entries(DEAD_LETTER_HEADERS).map(([field, header]) => [field, headers.get(header) || undefined]);
  return DeadLetterInfo.parse(Object.fromEntries(fields));
}

export const SUBJECTS = {
  /** `jangar.req.<kind>.<verb>`: accepted requests; dedup ID = requestKey. */
  request: defineSubject('jangar.req', ['kind', 'verb'], STREAM_NAMES.requests, RequestMessage),
  /** `jangar.decision.<verdict>.<kind>.<verb>`: policy decisions; dedup ID = `<requestKey>:decision`. */
  decision: defineSubject('jangar.decision', ['verdict', 'kind', 'verb'], STREAM_NAMES.decisions, DecisionMessage),
  /** `jangar.outcome.<kind>.<verb>`: final results; dedup ID = `<requestKey>:outcome`. */
  outcome: defineSubject('jangar.outcome', ['kind', 'verb'], STREAM_NAMES.outcomes, OutcomeMessage),
  /**
   * `jangar.run.status.<namespace>.<type>.<name>.<stage>`: run status changes; dedup ID =
   * `<uid>:<resourceVersion>:<previous status digest>><status digest>` ({@link dedupIds}). The stage ({@link runStage}: `active` or `ended`) lets a follower
   * that only cares how runs end (the policy service, releasing slots) filter out the rest.
   */
  runStatus: defineSubject('jangar.run.status', ['namespace', 'type', 'name', 'stage'], STREAM_NAMES.runStatus, RunStatusMessage),
  /**
   * `jangar.tombstone.<sha256 of the request key>`: the object a delete request is about to remove,
   * one per request (the stream keeps the last message per subject); dedup ID = `<requestKey>:tombstone`.
   * Nothing consumes it: the provisioner reads one back by subject when a redelivered delete finds
   * its object gone, and answers as the first attempt did instead of `not_found`.
   */
  tombstone: defineSubject('jangar.tombstone', ['request'], STREAM_NAMES.tombstones, TombstoneMessage),
  /**
   * `jangar.dead.<consumer>.<stream>.<sequence>`: a message a durable consumer gave up on, as it
   * was delivered, with why in its headers ({@link DeadLetterInfo}); dedup ID =
   * `<stream>:<sequence>:<consumer>`. Its subject names the message, so a consumer delivered it
   * again reads back by subject whether it already gave up on it. Nothing consumes it: operators
   * read it and publish it again (`npm run dead-letters`).
   */
  deadLetter: defineSubject('jangar.dead', ['consumer', 'stream', 'sequence'], STREAM_NAMES.deadLetters, zod.unknown()),
} as const;

/** The `stage` token of a run-status subject: `ended` once the run is Succeeded, Failed or Cancelled. */
export function runStage(phase: RunPhase): 'active' | 'ended' {
  return isTerminalPhase(phase) ? 'ended' : 'active';
}

/** The key of one attempt of a request: the first is the request key itself, a retry after a retryable rejection `<key>#<n>`. */
const attemptKey = (requestKey: string, attempt = 1) => (attempt > 1 ? `${requestKey}#${attempt}` : requestKey);

/**
 * Derived dedup IDs, so a redelivered message produces no second derived message. A request
 * retried after a retryable rejection (`concurrency_limit`) is a new attempt with IDs of its own.
 */
export const dedupIds = {
  request: (requestKey: string, attempt?: number) => attemptKey(requestKey, attempt),
  decision: (requestKey: string, attempt?: number) => `${attemptKey(requestKey, attempt)}:decision`,
  outcome: (requestKey: string, attempt?: number) => `${attemptKey(requestKey, attempt)}:outcome`,
  /**
   * One change of a run's status, at one version of the run: from the status digest stored before
   * (none for a run first seen) to the new one. A change of the provider alone (its Job or Workflow
   * moved) keeps the run's resourceVersion, so the digests must be part of it; both, because a
   * provider that goes back and forth (Running, Pending, Running) comes back to a digest it had,
   * and keyed on the new digest alone that return would be dropped as a duplicate. Every replica
   * computes the same ID for the same change, so their copies still collapse.
   */
  runStatus: (uid: string, resourceVersion: string, fromDigest: string | undefined, toDigest: string) =>
    `${uid}:${resourceVersion}:${fromDigest?.slice(0, 16) ?? 'new'}>${toDigest.slice(0, 16)}`,
  /** One version of a run object: the audit's run history keeps a row per version, and nothing it records changes with the provider alone. */
  runVersion: (uid: string, resourceVersion: string) => `${uid}:${resourceVersion}`,
  /**
   * A delete's tombstone: the object as the delete removes it; `cancelling` is the run as it stood
   * before the delete cancelled it, recorded first (a message of its own, which the later one
   * replaces on the subject).
   */
  tombstone: (requestKey: string, stage?: 'cancelling') => `${requestKey}:tombstone${stage ? `:${stage}` : ''}`,
  /** A message one consumer parked: every replica that gives up on the same delivery parks it once. */
  deadLetter: (stream: string, sequence: number, consumer: string) => `${stream}:${sequence}:${consumer}`,
};

/**
 * The dedup ID of a decision message. A request held for approval is decided twice — held
 * (`pending`), then settled by the approval — and a run a limit holds back in the queue twice —
 * queued, then admitted, refused or expired; each of these decisions is published once.
 */
export function decisionDedupId(m: Pick<DecisionMessage, 'requestKey' | 'attempt' | 'payload'>): string {
  const approval = m.payload.approval;
  const settled = approval && approval.state !== 'Pending' ? `:${approval.state.toLowerCase()}` : '';
  const queue = m.payload.queue ? `:queue-${m.payload.queue.state.toLowerCase()}` : '';
  return dedupIds.decision(m.requestKey, m.attempt) + settled + queue;
}

/**
 * The version of the message schemas, carried by every message in {@link SCHEMA_VERSION_HEADER}.
 * Bump it with any change a consumer of the version before could not parse (a new enum value, a
 * field made required): during a rolling upgrade a consumer leaves a message of a newer version
 * for a replica that knows it, and terminates one of its own version or older that does not parse,
 * as it never will.
 */
export const MESSAGE_SCHEMA_VERSION = 1;
/** The header a message's schema version travels in. */
export const SCHEMA_VERSION_HEADER = 'Jangar-Schema-Version';
