import { setTimeout as sleep } from 'node:timers/promises';

export const NAMESPACE = 'bench';
export const AGENT = 'coder';
export const RUNS_PATH = '/v1/agent-runs';

/** The AgentRun create body; identical apart from the deliveryId, so a replay matches its fingerprint. */
export function runBody(deliveryId: string): string {
  return JSON.stringify({
    deliveryId,
    metadata: { namespace: NAMESPACE },
    spec: { agentRef: { name: AGENT }, runtime: { type: 'job' }, implementation: { inline: { text: 'benchmark run' } } },
  });
}

/** Hands out `bench-<runId>-<prefix><n>` deliveryIds, never the same twice. */
export function deliveryIds(runId: string, prefix = ''): () => string {
  let n = 0;
  return () => `bench-${runId}-${prefix}${++n}`;
}

/** Sends one AgentRun create and waits for its answer, however long the cold path takes; returns the status. */
export async function primeRun(gatewayUrl: string, token: string, deliveryId: string, signal: AbortSignal): Promise<number> {
  const res = await fetch(`${gatewayUrl}${RUNS_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: runBody(deliveryId),
    signal,
  });
  await res.text();
  return res.status;
}

/** Creates the Agent the runs refer to, retrying its deliveryId until the answer is final. */
export async function createAgent(gatewayUrl: string, token: string, runId: string, signal: AbortSignal): Promise<void> {
  const body = JSON.stringify({
    deliveryId: `bench-${runId}-agent-${AGENT}`,
    metadata: { namespace: NAMESPACE, name: AGENT },
    spec: { providerRef: { name: 'codex' } },
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`${gatewayUrl}/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
      signal,
    });
    const text = await res.text();
    if (res.status === 200 || res.status === 201) return;
    // 202 and 409 request_in_progress mean "not decided yet": the same deliveryId gets the final answer later.
    const undecided = res.status === 202 || (res.status === 409 && text.includes('request_in_progress'));
    if (!undecided || Date.now() > deadline) throw new Error(`creating Agent ${NAMESPACE}/${AGENT} answered ${res.status}: ${text}`);
    await sleep(500, undefined, { signal });
  }
}
