/**
 * The operations to fuzz, read from the gateway's own OpenAPI document, so a route added to the
 * gateway is fuzzed without anyone listing it here.
 */
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Operation {
  method: Method;
  /** The path template, e.g. `/v1/agents/{namespace}/{name}`. */
  template: string;
  /** Names of its path parameters, in order. */
  params: string[];
  /** Query parameters it declares. */
  query: string[];
}

const METHODS: readonly Method[] = ['get', 'post', 'put', 'patch', 'delete'];

interface OpenApi {
  paths: Record<string, Partial<Record<Method, { parameters?: Array<{ name: string; in: string }> }>>>;
}

/** Every operation of the served OpenAPI document. */
export async function operationsOf(gatewayUrl: string): Promise<Operation[]> {
  const res = await fetch(`${gatewayUrl}/openapi.json`);
  if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}`);
  const doc = (await res.json()) as OpenApi;
  return Object.entries(doc.paths).flatMap(([template, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({
      method,
      template,
      params: [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
      query: (item[method]!.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
    })),
  );
}

/** The template with each parameter replaced by the given raw (already encoded) path segment. */
export function fillPath(op: Operation, segments: Record<string, string>): string {
  return op.template.replace(/\{(\w+)\}/g, (_, name: string) => segments[name] ?? 'x');
}
