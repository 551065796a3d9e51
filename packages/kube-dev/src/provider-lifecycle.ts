import type { RetryStatus, RunStatus } from './run-lifecycle.js';

/** A Job condition, as batch/v1 writes it. */
interface JobCondition {
  type: 'Complete' | 'Failed';
  status: 'True';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/**
 * The status a provider object (batch/v1 Job, Argo Workflow) has while its run has `run`, or
 * undefined for kinds the simulator does not know. Derived from the run's status alone, so a
 * restarted simulator writes the same provider status again and the write is a no-op.
 */
export function providerStatusFor(kind: string, run: RunStatus): Record<string, unknown> | undefined {
  if (kind === 'Job') return jobStatus(run);
  if (kind === 'Workflow') return workflowStatus(run);
  return undefined;
}

function retryOf(run: RunStatus): RetryStatus | undefined {
  return typeof run.retry === 'object' && run.retry !== null ? (run.retry as RetryStatus) : undefined;
}

function jobStatus(run: RunStatus): Record<string, unknown> {
  // A retried attempt is a failed pod of the same Job, as with backoffLimit > 0.
  const failedPods = (retryOf(run)?.attempt ?? 1) - 1;
  const started = run.startedAt ? { startTime: run.startedAt } : {};
  const failedCount = failedPods > 0 ? { failed: failedPods } : {};
  switch (run.phase ?? 'Pending') {
    case 'Running':
      return { ...started, active: 1, ...failedCount };
    case 'Succeeded': {
      const complete: JobCondition = { type: 'Complete', status: 'True', lastTransitionTime: run.finishedAt };
      return { ...started, completionTime: run.finishedAt, succeeded: 1, ...failedCount, conditions: [complete] };
    }
    case 'Failed': {
      const failed: JobCondition = {
        type: 'Failed',
        status: 'True',
        reason: 'BackoffLimitExceeded',
        message: run.message ?? 'Job has reached the specified backoff limit',
        lastTransitionTime: run.finishedAt,
      };
      return { ...started, failed: failedPods + 1, conditions: [failed] };
    }
    default:
      return {};
  }
}

function workflowStatus(run: RunStatus): Record<string, unknown> {
  const started = run.startedAt ? { startedAt: run.startedAt } : {};
  const finished = run.finishedAt ? { finishedAt: run.finishedAt } : {};
  switch (run.phase ?? 'Pending') {
    case 'Running': {
      const lastError = retryOf(run)?.lastError;
      return { phase: 'Running', ...started, ...(lastError ? { message: `retrying: ${lastError}` } : {}) };
    }
    case 'Succeeded':
      return { phase: 'Succeeded', ...started, ...finished };
    case 'Failed':
      return { phase: 'Failed', ...started, ...finished, message: run.message ?? 'workflow failed' };
    default:
      return { phase: 'Pending' };
  }
}
