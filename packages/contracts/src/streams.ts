import { STREAM_NAMES, SUBJECTS } from './subjects.js';

/** A JetStream stream as Jangar declares it; service-kit turns it into a StreamConfig. */
export interface StreamDefinition {
  readonly name: string;
  readonly subjects: readonly string[];
  /** How long the server remembers a dedup ID (`duplicate_window`). */
  readonly duplicateWindowMs: number;
  readonly maxAgeMs: number;
  /** Copies kept by a NATS cluster (3 in production; 1 on a single server). */
  readonly replicas: number;
  /** Messages kept per subject (`max_msgs_per_subject`); unset, no limit. */
  readonly maxMsgsPerSubject?: number;
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * The duplicate window bounds how long JetStream itself drops a re-published message; past it, the
 * database rows keyed by the same IDs (deliveries, audit events, run history) are what keep every
 * effect single. Two minutes covers every in-process retry with room to spare.
 */
export const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/** Every stream, keyed by role. The duplicate window and replica count come from configuration. */
export function streamDefinitions(
  duplicateWindowMs = DEFAULT_DUPLICATE_WINDOW_MS,
  replicas = 1,
): Record<keyof typeof STREAM_NAMES, StreamDefinition> {
  const common = { duplicateWindowMs, maxAgeMs: 7 * DAY, replicas };
  return {
    requests: { name: STREAM_NAMES.requests, subjects: [`${SUBJECTS.request.prefix}.>`], ...common },
    decisions: { name: STREAM_NAMES.decisions, subjects: [`${SUBJECTS.decision.prefix}.>`], ...common },
    outcomes: { name: STREAM_NAMES.outcomes, subjects: [`${SUBJECTS.outcome.prefix}.>`], ...common },
    runStatus: { name: STREAM_NAMES.runStatus, subjects: [`${SUBJECTS.runStatus.prefix}.>`], ...common },
    // One per request: a redelivery reads the last one of its subject.
    tombstones: { name: STREAM_NAMES.tombstones, subjects: [`${SUBJECTS.tombstone.prefix}.>`], ...common, maxMsgsPerSubject: 1 },
    // Kept longer than what they came from: someone must notice them (the metric) and fix the cause first.
    deadLetters: { name: STREAM_NAMES.deadLetters, subjects: [`${SUBJECTS.deadLetter.prefix}.>`], ...common, maxAgeMs: 30 * DAY },
  };
}

/**
 * A durable pull consumer. Every replica of a service binds the same durable name, so JetStream
 * splits the work between them. One filter per consumer: nats-server 2.9 has no filter_subjects.
 */
export interface ConsumerDefinition {
  readonly stream: string;
  readonly durable: string;
  readonly filter: string;
  /**
   * Redelivery after this long without an ack or a "still working" (a replica that died). A live
   * replica keeps saying it works on what it holds, so this is not a bound on a handler's time.
   */
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
}

const consumer = (stream: string, durable: string, filter: string): ConsumerDefinition => ({
  stream,
  durable,
  filter,
  ackWaitMs: 10_000,
  maxDeliver: -1,
});

export const CONSUMERS = {
  policyRequests: consumer(STREAM_NAMES.requests, 'policy-requests', SUBJECTS.request.filter()),
  provisionerAllowed: consumer(STREAM_NAMES.decisions, 'provisioner-allowed', SUBJECTS.decision.filter({ verdict: 'allow' })),
  auditDecisions: consumer(STREAM_NAMES.decisions, 'audit-decisions', SUBJECTS.decision.filter()),
  auditOutcomes: consumer(STREAM_NAMES.outcomes, 'audit-outcomes', SUBJECTS.outcome.filter()),
  auditRunStatus: consumer(STREAM_NAMES.runStatus, 'audit-run-status', SUBJECTS.runStatus.filter()),
  gatewayOutcomes: consumer(STREAM_NAMES.outcomes, 'gateway-outcomes', SUBJECTS.outcome.filter()),
  /** Stores the 202 answer of a request held for approval, so a retry replays it while it waits. */
  gatewayPending: consumer(STREAM_NAMES.decisions, 'gateway-pending', SUBJECTS.decision.filter({ verdict: 'pending' })),
  /** Releases a concurrency slot when a run ends (only the `ended` stage: a run's other changes are no news to it)… */
  policyRunEnded: consumer(STREAM_NAMES.runStatus, 'policy-run-ended', SUBJECTS.runStatus.filter({ stage: 'ended' })),
  /** …or when the create that took it was rejected after all. */
  policyOutcomes: consumer(STREAM_NAMES.outcomes, 'policy-outcomes', SUBJECTS.outcome.filter({ verb: 'create' })),
  /** Lists the runs that wait, queued or for an approver, before they exist… */
  statusHeld: consumer(STREAM_NAMES.decisions, 'status-held', SUBJECTS.decision.filter({ verdict: 'pending', verb: 'create' })),
  /**
   * …and how those that waited were refused; and every run a change applied, as the provisioner
   * left it, for the versions no watch saw (a run made and deleted while the watches listed again).
   */
  statusOutcomes: consumer(STREAM_NAMES.outcomes, 'status-run-outcomes', SUBJECTS.outcome.filter()),
} as const satisfies Record<string, ConsumerDefinition>;

/**
 * Durable consumers an earlier version declared and none binds any more; services delete them at
 * start, so a replaced consumer does not keep a backlog on the stream. `policy-run-status` followed
 * every run-status message, where `policy-run-ended` follows only the ended ones.
 */
export const RETIRED_CONSUMERS: ReadonlyArray<{ stream: string; durable: string }> = [
  { stream: STREAM_NAMES.runStatus, durable: 'policy-run-status' },
  // Followed the outcomes of creates only; `status-run-outcomes` follows every outcome.
  { stream: STREAM_NAMES.outcomes, durable: 'status-outcomes' },
];
