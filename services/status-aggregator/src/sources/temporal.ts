import { z } from 'zod';
import type { RunPhase, RunProviderStatus } from '@jangar/contracts';
import { forEachLimited, type Logger } from '@jangar/service-kit';
import type { BoundRun, PollingStatusSource } from './types.js';

/**
 * What the aggregator reads of a `temporal` binding's config (the provisioner writes `namespace`,
 * `taskQueue`, `workflowType` and `workflowId`): which execution to ask about.
 */
export const TemporalBindingConfig = z.object({ namespace: z.string().min(1).default('default'), workflowId: z.string().min(1) });

/** `WorkflowExecutionStatus` of Temporal's API (temporal.api.enums.v1), as its HTTP API spells it. */
export const TemporalWorkflowStatus = z.enum([
  'WORKFLOW_EXECUTION_STATUS_UNSPECIFIED',
  'WORKFLOW_EXECUTION_STATUS_RUNNING',
  'WORKFLOW_EXECUTION_STATUS_COMPLETED',
  'WORKFLOW_EXECUTION_STATUS_FAILED',
  'WORKFLOW_EXECUTION_STATUS_CANCELED',
  'WORKFLOW_EXECUTION_STATUS_TERMINATED',
  'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW',
  'WORKFLOW_EXECUTION_STATUS_TIMED_OUT',
  'WORKFLOW_EXECUTION_STATUS_PAUSED',
]);
export type TemporalWorkflowStatus = z.infer<typeof TemporalWorkflowStatus>;

/**
 * The part of `DescribeWorkflowExecutionResponse` that Jangar reads, from
 * `GET /api/v1/namespaces/{namespace}/workflows/{workflowId}` (Temporal's HTTP API, grpc-gateway,
 * proto3 JSON with camelCase names). An enum at its default value is left out, so a missing status
 * is UNSPECIFIED.
 */
export const DescribeWorkflowExecutionResponse = z.object({
  workflowExecutionInfo: z.object({
    execution: z.object({ workflowId: z.string(), runId: z.string().optional() }).optional(),
    type: z.object({ name: z.string() }).optional(),
    startTime: z.string().optional(),
    closeTime: z.string().optional(),
    status: TemporalWorkflowStatus.default('WORKFLOW_EXECUTION_STATUS_UNSPECIFIED'),
    taskQueue: z.string().optional(),
  }),
});
export type DescribeWorkflowExecutionResponse = z.infer<typeof DescribeWorkflowExecutionResponse>;

/** The error body of Temporal's HTTP API (`google.rpc.Status`); code 5 is NOT_FOUND. */
export const GrpcStatus = z.object({ code: z.number().int(), message: z.string().optional() });

const PHASES: Record<TemporalWorkflowStatus, RunPhase> = {
  WORKFLOW_EXECUTION_STATUS_UNSPECIFIED: 'Pending',
  WORKFLOW_EXECUTION_STATUS_RUNNING: 'Running',
  // Describe without a run id answers for the latest run of the chain, so this is seen only in a
  // race with the new run's start: the workflow goes on.
  WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: 'Running',
  WORKFLOW_EXECUTION_STATUS_PAUSED: 'Running',
  WORKFLOW_EXECUTION_STATUS_COMPLETED: 'Succeeded',
  WORKFLOW_EXECUTION_STATUS_FAILED: 'Failed',
  WORKFLOW_EXECUTION_STATUS_TIMED_OUT: 'Failed',
  WORKFLOW_EXECUTION_STATUS_TERMINATED: 'Failed',
  WORKFLOW_EXECUTION_STATUS_CANCELED: 'Cancelled',
};

/** A Temporal workflow status as a run's provider state: the run phase it means, the status itself as message. */
export function temporalProviderState(status: TemporalWorkflowStatus): RunProviderStatus {
  return { phase: PHASES[status], message: status };
}

/** What one DescribeWorkflowExecution answered. */
export type DescribeOutcome =
  { kind: 'state'; state: RunProviderStatus } | { kind: 'not-found'; message?: string | undefined } | { kind: 'failed'; error: string };

/** Reads one answer of Temporal's HTTP API: the provider state, not found (404 / code 5), or why it is unusable. */
export function describeOutcome(httpStatus: number, body: unknown): DescribeOutcome {
  if (httpStatus === 200) {
    const parsed = DescribeWorkflowExecutionResponse.safeParse(body);
    if (!parsed.success) return { kind: 'failed', error: `unexpected response: ${z.prettifyError(parsed.error)}` };
    return { kind: 'state', state: temporalProviderState(parsed.data.workflowExecutionInfo.status) };
  }
  const status = GrpcStatus.safeParse(body);
  const message = status.success ? status.data.message : undefined;
  if (httpStatus === 404 || (status.success && status.data.code === 5)) return { kind: 'not-found', message };
  return { kind: 'failed', error: `HTTP ${httpStatus}${message ? `: ${message}` : ''}` };
}

/** The DescribeWorkflowExecution URL of a workflow under `baseUrl` (which may carry a path prefix). */
export function describeUrl(baseUrl: string, namespace: string, workflowId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export interface TemporalSourceOptions {
  /** Base URL of Temporal's HTTP API (the frontend's HTTP port, 7243 by default). */
  url: string;
  intervalMs: number;
  logger: Logger;
  /** Per request. Default 5,000 ms. */
  timeoutMs?: number;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** How often a failure that goes on is logged again. Default 60,000 ms. */
  repeatLogMs?: number;
}

/**
 * A {@link PollingStatusSource} for runs bound to `temporal`: one DescribeWorkflowExecution per run
 * over Temporal's HTTP API, `concurrency` at a time, each cut off after `timeoutMs`. Failures leave
 * the run out of the answer (its state stays as it was); they are logged when they start, again
 * every `repeatLogMs` while they go on, and once more when Temporal answers again.
 */
export function temporalStatusSource(opts: TemporalSourceOptions): PollingStatusSource {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const repeatLogMs = opts.repeatLogMs ?? 60_000;
  let failingSince: number | undefined;
  let loggedAt = 0;

  const describe = async (run: BoundRun, signal: AbortSignal): Promise<DescribeOutcome> => {
    const parsed = TemporalBindingConfig.safeParse(run.binding.config);
    // Nothing to ask about: such a run has no Temporal state, as if its workflow were not found.
    if (!parsed.success) return { kind: 'not-found', message: 'the binding names no workflow id' };
    try {
      const res = await fetch(describeUrl(opts.url, parsed.data.namespace, parsed.data.workflowId), {
        headers: { accept: 'application/json' },
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      return describeOutcome(res.status, body);
    } catch (err) {
      const e = err as Error;
      return { kind: 'failed', error: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : String(e.cause ?? e.message) };
    }
  };

  return {
    provider: 'temporal',
    intervalMs: opts.intervalMs,
    async poll(runs, signal) {
      const states = new Map<string, RunProviderStatus>();
      const failures: Array<{ run: BoundRun; error: string }> = [];
      await forEachLimited(
        runs,
        concurrency,
        async (run) => {
          const outcome = await describe(run, signal);
          if (outcome.kind === 'state') states.set(run.key, outcome.state);
          else if (outcome.kind === 'failed') failures.push({ run, error: outcome.error });
        },
        signal,
      );
      if (signal.aborted) return states;

      const now = Date.now();
      if (failures.length > 0) {
        if (failingSince === undefined || now - loggedAt >= repeatLogMs) {
          const first = failures[0]!;
          opts.logger.warn(
            { url: opts.url, failed: failures.length, of: runs.length, run: `${first.run.namespace}/${first.run.name}`, err: first.error },
            failingSince === undefined ? 'Temporal status polls failed' : 'Temporal status polls still failing',
          );
          loggedAt = now;
        }
        failingSince ??= now;
      } else if (failingSince !== undefined) {
        opts.logger.info({ url: opts.url, failingForMs: now - failingSince }, 'Temporal status polls answer again');
        failingSince = undefined;
      }
      return states;
    },
  };
}
