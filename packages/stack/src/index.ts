export { lockStackDir, startStack, stackLockFile } from './stack.js';
export type { FreezeTarget, Stack, StackFailure, StackOptions } from './stack.js';
export { BUNDLED_ENTRIES, SERVICE_NAMES, REPO_ROOT, bundleArgs } from './services.js';
export { buildBundles, bundleTarget } from './build.js';
export type { BundleTarget } from './build.js';
export type { ServiceName } from './services.js';
