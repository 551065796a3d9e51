import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, where `npm start` and the tests run from. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const SERVICE_NAMES = ['policy', 'provisioner', 'status-aggregator', 'audit', 'api-gateway'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** The entry point of a service process. */
export function serviceEntry(name: ServiceName): string {
  return path.join(REPO_ROOT, 'services', name, 'src', 'main.ts');
}

export const KUBE_DEV_ENTRY = path.join(REPO_ROOT, 'packages', 'kube-dev', 'src', 'main.ts');

/** Every process the stack runs from a bundle: the services and the development API server. */
export const BUNDLED_ENTRIES = [...SERVICE_NAMES.map(serviceEntry), KUBE_DEV_ENTRY];

/**
 * Node arguments that run a built bundle. Source maps are not enabled: node would then load the
 * maps of every package that ships them, about 20 MB per process, and stack traces already carry
 * the source's function names. `NODE_OPTIONS=--enable-source-maps` maps them to the TypeScript.
 */
export function bundleArgs(outfile: string): string[] {
  return [outfile];
}
