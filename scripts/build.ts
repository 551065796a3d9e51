/**
 * `npm run build`: bundles every service and the development API server into `<package>/dist/main.mjs`,
 * which `node` runs. `npm start`, the tests and the bench build on their own; the Dockerfile runs this.
 */
import path from 'node:path';
import { BUNDLED_ENTRIES, REPO_ROOT, buildBundles, bundleTarget } from '@jangar/stack';

const t0 = Date.now();
const targets = BUNDLED_ENTRIES.map(bundleTarget);
await buildBundles(targets);
for (const t of targets) console.log(`  ✓ ${path.relative(REPO_ROOT, t.outfile)}`);
console.log(`Built ${targets.length} bundles in ${((Date.now() - t0) / 1000).toFixed(1)}s.`);
