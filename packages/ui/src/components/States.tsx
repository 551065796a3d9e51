/**
 * Loading, empty and error states that tell the operator what to do next rather than only what
 * went wrong.
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/client.js';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <div className="state empty" role="status">
      {children}
    </div>
  );
}

/** What to do about a failed request, by its status and problem code. */
function adviceFor(err: unknown): { title: string; advice: ReactNode } {
  if (!(err instanceof ApiError)) return { title: 'Something went wrong', advice: 'Reload the page; if it persists, check the gateway logs.' };
  switch (err.status) {
    case 0:
      return { title: 'The gateway cannot be reached', advice: 'Check that the control plane is running (`npm start`) and retry.' };
    case 401:
      return {
        title: 'No valid token',
        advice: (
          <>
            Enter an API token in the <Link to="/settings">token settings</Link> (the development stack's is <code>dev</code>).
          </>
        ),
      };
    case 403:
      return { title: 'Not allowed', advice: 'Your token may not read this namespace; pick one of your namespaces or ask for access.' };
    case 404:
      return { title: 'Not found', advice: 'It may have been deleted, or the link names another namespace. Go back to the list.' };
    case 400:
      return { title: 'The request was refused', advice: 'Correct the filters named below and try again.' };
    default:
      return { title: `The gateway answered ${err.status}`, advice: 'Retry; if it persists, look up the trace id in the gateway logs.' };
  }
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { title, advice } = adviceFor(error);
  const problem = error instanceof ApiError ? error.problem : undefined;
  return (
    <div className="state error" role="alert">
      <h2>{title}</h2>
      <p>{advice}</p>
      <p className="muted">
        {error instanceof Error ? error.message : String(error)}
        {problem?.code ? ` (${problem.code})` : ''}
        {problem?.traceId ? ` · trace ${problem.traceId}` : ''}
      </p>
      {problem?.errors?.length ? (
        <ul>
          {problem.errors.map((e) => (
            <li key={`${e.path}:${e.message}`}>
              <code>{e.path}</code>: {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {onRetry ? (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}
