/**
 * How an internal service follows runs: a durable JetStream consumer on the run-status subjects.
 *
 *   NATS_URL=nats://127.0.0.1:4222 npx tsx examples/run-status-subscriber.ts [namespace]
 *
 * Each change of a run's normalized status arrives once on
 * `jangar.run.status.<namespace>.<type>.<name>.<active|ended>` — a change of its provider alone
 * with the run's resourceVersion unchanged. A durable consumer (here `example-follower`)
 * remembers what it acked, so a restarted follower continues where it stopped; replicas that bind
 * the same durable name share the work. Ack only after your own effect is durable.
 */
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { isTerminalPhase, STREAM_NAMES, SUBJECTS } from '@jangar/contracts';

const namespace = process.argv[2];
const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
const durable = 'example-follower';
const jsm = await jetstreamManager(nc);
await jsm.consumers
  .add(STREAM_NAMES.runStatus, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.New,
    filter_subject: SUBJECTS.runStatus.filter(namespace ? { namespace } : {}),
  })
  .catch(() => undefined); // it exists already: keep its position

const messages = await (await jetstream(nc).consumers.get(STREAM_NAMES.runStatus, durable)).consume();
process.on('SIGINT', () => void messages.close().then(() => nc.close()));
for await (const m of messages) {
  const parsed = SUBJECTS.runStatus.schema.safeParse(m.json());
  if (!parsed.success) {
    m.term(); // never valid: do not redeliver
    continue;
  }
  const { run, previousPhase } = parsed.data.payload;
  const marker = isTerminalPhase(run.phase) ? ' (done)' : '';
  console.log(`${run.namespace}/${run.name} ${run.type} ${previousPhase ?? '-'} -> ${run.phase}${marker} rv=${run.resourceVersion}`);
  m.ack();
}
