import { jetstreamManager, jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentRun,
  JANGAR_LABELS,
  MESSAGE_SCHEMA_VERSION,
  SCHEMA_VERSION_HEADER,
  streamDefinitions,
  type OutcomeMessage,
} from '@jangar/contracts';
import { scratchNats, type NatsServerHandle } from '@jangar/devstack';
import { deliveryLabelValue, ensureStreams } from '@jangar/service-kit';
import { answerCannotProcess, declineGivingUp } from '../src/cannot-process.js';
import { createDirectly, decision, startHarness, type Harness } from './harness.js';

let nats: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
let h: Harness;
const OUTCOMES = streamDefinitions().outcomes.name;

beforeAll(async () => {
  [nats, h] = await Promise.all([scratchNats('provisioner-cannot-process'), startHarness()]);
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, [streamDefinitions().outcomes]);
});

afterAll(async () => {
  await nc?.close();
  await Promise.all([nats?.stop(), h?.kd.close()]);
});

const SPEC = { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'x' } } };
const create = (name: string) => decision({ kind: 'AgentRun', verb: 'create', metadata: { namespace: 'team-a', name }, spec: SPEC });

describe('answering a request the provisioner cannot process', () => {
  it('publishes its final internal outcome, naming the service and not the error, when its create made nothing', async () => {
    const message = create('never-made');
    expect(await declineGivingUp(h.cluster, message)).toBeUndefined();
    await answerCannotProcess(jetstream(nc), message);
    const last = await jsm.streams.getMessage(OUTCOMES, { last_by_subj: 'jangar.outcome.agentrun.create' });
    const outcome = last!.json<OutcomeMessage>();
    expect(outcome).toMatchObject({ deliveryId: message.deliveryId, requestKey: message.requestKey, attempt: 1 });
    expect(outcome.payload).toMatchObject({ result: 'rejected', id: message.payload.request.id, error: { code: 'internal' } });
    expect(JSON.stringify(outcome.payload)).toContain('the provisioner');
    // As every message, it says which schema version wrote it, for a consumer mid-upgrade.
    expect(last!.header.get(SCHEMA_VERSION_HEADER)).toBe(String(MESSAGE_SCHEMA_VERSION));
  });

  it('declines to give up when its create already made the object', async () => {
    const message = create('made-already');
    await createDirectly(h.api, AgentRun, 'team-a', 'made-already', SPEC, {
      labels: { [JANGAR_LABELS.delivery]: deliveryLabelValue(message.requestKey) },
    });
    expect(await declineGivingUp(h.cluster, message)).toMatch(/made the object/);
  });
});
