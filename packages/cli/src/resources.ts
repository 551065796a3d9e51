import type { KindDefinition, NormalizedRun, ResourceView } from '@jangar/contracts';
import { seg, type ApiClient } from './client.js';
import { ApiError, UsageError } from './errors.js';

/** Jangar ids are UUIDs; anything else is a name. */
export const isId = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

/** `/v1/<route>/{namespace}/{name}`. */
export const resourcePath = (kind: KindDefinition, namespace: string, name: string) => `/v1/${kind.route}/${seg(namespace)}/${seg(name)}`;

/** One resource by name (in `namespace`) or by Jangar id. */
export function getResource(client: ApiClient, kind: KindDefinition, namespace: string, nameOrId: string): Promise<ResourceView> {
  return client.get<ResourceView>(isId(nameOrId) ? `/v1/${kind.route}/${seg(nameOrId)}` : resourcePath(kind, namespace, nameOrId));
}

/** Like `getResource`, but undefined when there is none (404). */
export async function findResource(
  client: ApiClient,
  kind: KindDefinition,
  namespace: string,
  name: string,
): Promise<ResourceView | undefined> {
  try {
    return await getResource(client, kind, namespace, name);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** A run id as given: bare, or `run/<id>` as `-o name` prints it. */
export function runIdOf(arg: string): string {
  const id = arg.replace(/^runs?\//, '');
  if (id === '') throw new UsageError('a run id is required');
  return id;
}

export const runPath = (id: string) => `/v1/runs/${seg(id)}`;

export function getRun(client: ApiClient, id: string, signal?: AbortSignal): Promise<NormalizedRun> {
  return client.get<NormalizedRun>(runPath(id), undefined, signal);
}

/** `agent/coder` as one argument, as kubectl takes it: the kind and the first name. */
export function splitKindArg(kindArg: string, names: readonly string[]): { kind: string; names: string[] } {
  const slash = kindArg.indexOf('/');
  if (slash === -1) return { kind: kindArg, names: [...names] };
  if (names.length > 0) throw new UsageError(`there is no need to name a resource as "${kindArg}" and also give names`);
  return { kind: kindArg.slice(0, slash), names: [kindArg.slice(slash + 1)] };
}
