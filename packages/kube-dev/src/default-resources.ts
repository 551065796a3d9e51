import { KINDS } from '@jangar/contracts';
import { PROVIDER_RESOURCES, resourcesFromKinds } from './resources.js';
import type { ResourceDefinition } from './resources.js';

/** The Jangar kinds from `@jangar/contracts` plus the provider workload types. */
export function defaultResources(): ResourceDefinition[] {
  return [...resourcesFromKinds(KINDS), ...PROVIDER_RESOURCES];
}
