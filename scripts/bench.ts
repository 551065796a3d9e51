/**
 * `npm run bench`: how fast the gateway accepts new AgentRuns, and how much cheaper a retried
 * deliveryId (a replay of the stored answer) is. Starts the whole control plane in a temp dir, as
 * `npm start` would, loads it with autocannon and writes bench-results/. A report, not a test: it
 * exits 0 whatever the figures are. See docs/benchmarks.md.
 */
import { isDetachedChild, runDetached } from './bench/detach.js';

if (!isDetachedChild()) process.exit(await runDetached());
// Loaded only in the child, so the relaying launcher stays small and idle.
const { runBench } = await import('./bench/run.js');
process.exit(await runBench(process.argv.slice(2)));
