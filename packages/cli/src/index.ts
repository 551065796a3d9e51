/** The `jangar` CLI as a library: the program, its REST client and its pure parts. */
export { buildProgram, main, VERSION } from './main.js';
export { ApiClient, type ClientOptions } from './client.js';
export { EXIT, ApiError, ConnectionError, UsageError, exitCodeOf } from './errors.js';
export { resolveKind, kindRef, type KindTarget } from './kinds.js';
export { createDeliveryId, updateDeliveryId, keyAt, parseManifests, isUnchanged, type Manifest } from './manifest.js';
export { formatProblem, problemOf, type Problem } from './problem.js';
