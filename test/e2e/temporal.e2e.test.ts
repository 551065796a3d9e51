import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createAgent, eventually, testStack } from '../support/stack.js';

const NS = 'temporal';
const SCENARIO = 'jangar.proompteng.ai/sim-scenario';

let stack: Awaited<ReturnType<typeof testStack>>;
let dev: ReturnType<typeof api>;

const temporalRun = (deliveryId: string, annotations: Record<string, string> = {}) => ({
  deliveryId,
  metadata: { namespace: NS, annotations },
  spec: {
    agentRef: { name: 'coder' },
    runtime: { type: 'temporal', config: { taskQueue: 'agents', workflowType: 'AgentRun' } },
    implementation: { inline: { text: `run ${deliveryId} on Temporal` } },
  },
});

/** The normalized run once both the run and its provider state have reached `phase`. */
const settledIn = (id: string, phase: string) =>
  eventually(`run ${id} and its workflow to be ${phase}`, async () => {
    const r = await dev.get(`/v1/runs/${id}`);
    return r.json?.phase === phase && r.json?.provider?.phase === phase ? r.json : undefined;
  });

beforeAll(async () => {
  // The stack points the status-aggregator at its development API server's simulated Temporal API.
  stack = await testStack();
  dev = api(stack.gatewayUrl, stack.devToken);
  await createAgent(stack, NS);
});

afterAll(async () => {
  await stack?.close();
});

describe('runs on Temporal, end to end', () => {
  it('reports the workflow status polled from Temporal as the run provider state, through to Succeeded', async () => {
    const created = await dev.post('/v1/agent-runs', temporalRun('temporal-success'));
    expect(created.status, created.text).toBe(201);
    const run = await settledIn(created.json.id, 'Succeeded');
    expect(run.provider).toEqual({ type: 'temporal', phase: 'Succeeded', message: 'WORKFLOW_EXECUTION_STATUS_COMPLETED' });
    expect(run.error).toBeUndefined();
  });

  it('reports a failed workflow: the run is Failed with the Temporal status as provider message', async () => {
    const created = await dev.post('/v1/agent-runs', temporalRun('temporal-failure', { [SCENARIO]: 'failure' }));
    expect(created.status, created.text).toBe(201);
    const run = await settledIn(created.json.id, 'Failed');
    expect(run.provider).toEqual({ type: 'temporal', phase: 'Failed', message: 'WORKFLOW_EXECUTION_STATUS_FAILED' });
    expect(run.error).toMatchObject({ code: 'run_failed', message: 'Simulated failure (scenario "failure")' });
  });
});
