import { crdFor } from '@jangar/contracts';
import type { KindDefinition } from '@jangar/contracts';
import { z } from 'zod';

/** An extra kubectl table column, read from the object at a dotted path. */
export const PrinterColumn = z.object({
  name: z.string().min(1),
  type: z.enum(['string', 'integer', 'number', 'boolean', 'date']),
  jsonPath: z.string().regex(/^(\.[A-Za-z0-9_-]+)+$/),
});
export type PrinterColumn = z.infer<typeof PrinterColumn>;

/** One served resource type, as a CustomResourceDefinition would declare it. */
export const ResourceDefinition = z.object({
  group: z.string().min(1),
  version: z.string().min(1),
  kind: z.string().regex(/^[A-Z][A-Za-z0-9]*$/),
  plural: z.string().regex(/^[a-z][a-z0-9]*$/),
  singular: z.string().regex(/^[a-z][a-z0-9]*$/),
  shortNames: z.array(z.string().regex(/^[a-z][a-z0-9]*$/)).readonly(),
  /** Groupings such as `jangar` that `kubectl get <category>` expands to this resource. */
  categories: z
    .array(z.string().regex(/^[a-z][a-z0-9]*$/))
    .readonly()
    .optional(),
  namespaced: z.literal(true),
  /** Table columns after Name, as in a CRD's `additionalPrinterColumns`; without any, just Age. */
  printerColumns: z.array(PrinterColumn).readonly().optional(),
  /** Field paths beyond metadata.name/namespace that fieldSelector may use (CRD `selectableFields`). */
  selectableFields: z.array(z.string()).readonly().optional(),
  /**
   * A built-in type rather than a CRD: accepts PUT without metadata.resourceVersion and
   * strategic merge patches, as kube-apiserver does for its own types.
   */
  builtin: z.boolean().optional(),
  /**
   * The CRD version's `openAPIV3Schema`: objects are pruned, defaulted and validated against it
   * as kube-apiserver does. Built-in and provider types registered without one are not checked.
   */
  schema: z.record(z.string(), z.unknown()).optional(),
});
export type ResourceDefinition = z.infer<typeof ResourceDefinition>;

const PHASE_COLUMN: PrinterColumn = { name: 'Phase', type: 'string', jsonPath: '.status.phase' };

/** Age from creationTimestamp: the one column after Name of a resource that declares none, as for a CRD. */
export const AGE_COLUMN: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

/** Provider workload types, registered so provisioners can store them next to the Jangar kinds. */
export const PROVIDER_RESOURCES: readonly ResourceDefinition[] = [
  {
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    plural: 'jobs',
    singular: 'job',
    shortNames: [],
    namespaced: true,
    builtin: true,
  },
  {
    group: 'argoproj.io',
    version: 'v1alpha1',
    kind: 'Workflow',
    plural: 'workflows',
    singular: 'workflow',
    shortNames: ['wf'],
    namespaced: true,
    printerColumns: [PHASE_COLUMN, AGE_COLUMN],
  },
];

/** Turns contract kinds into resource definitions, named and printed exactly as their committed CRDs. */
export function resourcesFromKinds(kinds: readonly KindDefinition[]): ResourceDefinition[] {
  return kinds.map((kind) => {
    // The CRD is the source, not the kind, so kubectl prints the same table here as on a real cluster.
    const { group, names, versions } = crdFor(kind).spec;
    const served = versions[0];
    if (!served) throw new Error(`the CRD of ${kind.kind} declares no version`);
    return {
      group,
      version: served.name,
      kind: names.kind,
      plural: names.plural,
      singular: names.singular,
      shortNames: [...names.shortNames],
      categories: [...names.categories],
      namespaced: true as const,
      printerColumns: served.additionalPrinterColumns.map((c) => ({ ...c })),
      schema: served.schema.openAPIV3Schema,
    };
  });
}

/** `group/version`, the apiVersion written on objects of this resource. */
export function apiVersionOf(res: ResourceDefinition): string {
  return res.group === '' ? res.version : `${res.group}/${res.version}`;
}

/** `plural.group`, the name Kubernetes uses for a resource in messages. */
export function qualifiedResource(res: ResourceDefinition): string {
  return res.group === '' ? res.plural : `${res.plural}.${res.group}`;
}

/** Lookup tables over the served resources. */
export class ResourceRegistry {
  readonly all: readonly ResourceDefinition[];
  private readonly byPath = new Map<string, ResourceDefinition>();
  private readonly byGroupPlural = new Map<string, ResourceDefinition>();

  constructor(definitions: readonly ResourceDefinition[]) {
    this.all = definitions.map((d) => ResourceDefinition.parse(d));
    for (const res of this.all) {
      const key = `${res.group}/${res.plural}`;
      if (this.byGroupPlural.has(key)) throw new Error(`resource ${qualifiedResource(res)} is registered twice`);
      this.byGroupPlural.set(key, res);
      this.byPath.set(`${res.group}/${res.version}/${res.plural}`, res);
    }
  }

  /** The resource served at `/apis/<group>/<version>/<plural>`. */
  find(group: string, version: string, plural: string): ResourceDefinition | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  /** The resource with this group and plural, whatever its version. */
  findByGroupPlural(group: string, plural: string): ResourceDefinition | undefined {
    return this.byGroupPlural.get(`${group}/${plural}`);
  }

  /** Served groups with their versions, in registration order. */
  groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const res of this.all) {
      const versions = groups.get(res.group) ?? [];
      if (!versions.includes(res.version)) versions.push(res.version);
      groups.set(res.group, versions);
    }
    return groups;
  }

  /** Resources of one group version. */
  inGroupVersion(group: string, version: string): ResourceDefinition[] {
    return this.all.filter((r) => r.group === group && r.version === version);
  }
}
