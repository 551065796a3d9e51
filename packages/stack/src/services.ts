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

/** Node arguments that run a TypeScript entry point through tsx (no build step). */
export function tsxArgs(entry: string): string[] {
  return ['--import', 'tsx', entry];
}
