/**
 * `npm run dead-letters`: lists the messages consumers gave up on (`JANGAR_DEAD_LETTERS`), and
 * publishes one again, once its cause is fixed, for the consumer that gave up on it.
 *
 *   NATS_URL=nats://127.0.0.1:4222 npm run dead-letters                       # list them all
 *   NATS_URL=… npm run dead-letters -- --consumer audit-outcomes              # one consumer's
 *   NATS_URL=… npm run dead-letters -- --replay 3 --replay 4                  # publish again for the consumer that parked it, then remove
 *
 * `npm start` prints its NATS URL; in a cluster, port-forward the NATS service.
 */
import { parseArgs } from 'node:util';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { listDeadLetters, replayDeadLetter } from '@jangar/service-kit';

const { values } = parseArgs({
  options: {
    consumer: { type: 'string' },
    replay: { type: 'string', multiple: true, default: [] },
  },
});
const url = process.env.NATS_URL;
if (!url) {
  console.error('Set NATS_URL to the NATS server of the control plane (npm start prints it).');
  process.exit(2);
}
const sequences = values.replay.map((raw) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--replay takes a dead letter's sequence (a positive integer), not ${raw}`);
    process.exit(2);
  }
  return n;
});

const nc = await connect({ servers: url.split(',') });
try {
  await run();
} catch (err) {
  // An operator's tool: the reason, not a stack trace.
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
} finally {
  await nc.close();
}

async function run(): Promise<void> {
  const jsm = await jetstreamManager(nc);
  if (sequences.length > 0) {
    for (const seq of sequences) {
      const info = await replayDeadLetter(jetstream(nc), jsm, seq);
      console.log(`${seq}: published again on ${info.subject} (parked by ${info.consumer}), and removed`);
    }
  } else {
    const letters = await listDeadLetters(jsm, values.consumer);
    if (letters.length === 0) console.log('No dead letters.');
    for (const { sequence, info, data } of letters) {
      if (!info) {
        console.log(`${sequence}  (its headers do not say why it was parked; ${data.length} bytes)`);
        continue;
      }
      console.log(
        `${sequence}  ${info.parkedAt}  ${info.consumer}  ${info.reason} at delivery ${info.deliveryCount}${info.answered ? ' (answered 500: not replayable)' : ''}  ${info.subject} (${info.stream} #${info.streamSequence}, ${data.length} bytes)\n    ${info.error}`,
      );
    }
  }
}
