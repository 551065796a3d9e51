export { startStack } from './stack.js';
export type { Stack, StackOptions } from './stack.js';
export { SERVICE_NAMES, REPO_ROOT } from './services.js';
export type { ServiceName } from './services.js';
