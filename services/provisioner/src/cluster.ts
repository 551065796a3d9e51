import { PatchStrategy, setHeaderOptions, type CustomObjectsApi } from '@kubernetes/client-node';
import { KubeObject, type KindDefinition } from '@jangar/contracts';
import { SpanKind, timeKubeCall, withSpan, type Span } from '@jangar/service-kit';
import { KUBE_CALL_DEADLINE_MS, kubeStatusCode, translateKubeError, withDeadline } from '@jangar/service-kit/kube';
import { z } from 'zod';
import type { ReferenceCache } from './reference-cache.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Options of one API call, as client-node takes them. */
type CallOptions = Parameters<typeof withDeadline>[1];

/** A page of a Kubernetes list: its items and the token of the next chunk. */
const KubeList = z.object({ items: z.array(KubeObject), metadata: z.object({ continue: z.string().optional() }).optional() });

/**
 * An object as the API server returned it: parsed into what Jangar models, and its whole body. A
 * replace starts from the body, so the metadata Jangar does not model (ownerReferences,
 * finalizers, managedFields…) goes back to the server unchanged instead of being cleared.
 */
export interface Stored {
  object: KubeObject;
  body: StoredBody;
}

/** A whole object body: what a replace sends, every field the server gave kept. */
export type StoredBody = Record<string, unknown> & { metadata: Record<string, unknown> & { namespace: string; name: string } };

/** Where an object lives: its kind, namespace and (except for lists) name. */
interface Target {
  kind: KindDefinition;
  namespace: string;
  name: string;
}

/** Answers the API server gives that the caller expects and handles (404 on get, 409 on create): not span errors. */
type Expected = Partial<Record<404 | 409, 'undefined'>>;

/** The provisioner's view of the cluster: primitives read and written, failures already typed. */
export class Cluster {
  constructor(
    private readonly api: CustomObjectsApi,
    /** Answers "it exists" for the kinds specs refer to without an API call, when it can. */
    private readonly references?: ReferenceCache,
    private readonly timeoutMs = KUBE_CALL_DEADLINE_MS,
  ) {}

  /**
   * One API server call inside a CLIENT span (so a slow or failing cluster shows in the request's
   * trace), timed, its answer parsed; an expected status becomes `undefined`, anything else a typed error.
   */
  private async call<T>(
    verb: string,
    t: Target,
    expected: Expected,
    successCode: number,
    fn: (coords: { group: string; version: string; plural: string; namespace: string }, options: CallOptions) => Promise<unknown>,
    parse: (raw: unknown) => T,
    /** Options of this call (a patch's content type); every call also gets its deadline. */
    base?: CallOptions,
  ): Promise<T | undefined> {
    const { kind, namespace, name } = t;
    return withSpan(
      `kube ${verb} ${kind.kind}`,
      { kind: SpanKind.CLIENT, attributes: { 'k8s.namespace.name': namespace, 'k8s.object.kind': kind.kind, 'k8s.object.name': name } },
      async (span: Span) => {
        try {
          const coords = { group: kind.group, version: kind.version, plural: kind.plural, namespace };
          return parse(await timeKubeCall(verb, kind.kind, () => fn(coords, withDeadline(this.timeoutMs, base)), successCode));
        } catch (err) {
          const code = kubeStatusCode(err);
          if (code !== undefined) span.setAttribute('http.response.status_code', code);
          if ((code === 404 || code === 409) && expected[code]) return undefined;
          throw translateKubeError(err, `${verb} ${kind.kind} ${namespace}/${name}`);
        }
      },
    );
  }

  /** True when the object exists: from the reference cache when it holds it, else from the API server. */
  async exists(kind: KindDefinition, namespace: string, name: string): Promise<boolean> {
    if (this.references?.has(kind, namespace, name)) return true;
    return (await this.get(kind, namespace, name)) !== undefined;
  }

  /** The object, or undefined when it does not exist. */
  async get(kind: KindDefinition, namespace: string, name: string): Promise<KubeObject | undefined> {
    return (await this.read(kind, namespace, name))?.object;
  }

  /** The object and the whole body the server returned, or undefined when it does not exist. */
  read(kind: KindDefinition, namespace: string, name: string): Promise<Stored | undefined> {
    return this.call(
      'get',
      { kind, namespace, name },
      { 404: 'undefined' },
      200,
      (c, options) => this.api.getNamespacedCustomObject({ ...c, name }, options),
      (raw) => {
        const object = parseObject(raw);
        return { object, body: raw as StoredBody };
      },
    );
  }

  /** Creates the object; `undefined` when one with that name already exists. */
  create(kind: KindDefinition, namespace: string, body: { metadata: { name: string } }): Promise<KubeObject | undefined> {
    const t = { kind, namespace, name: body.metadata.name };
    return this.call(
      'create',
      t,
      { 409: 'undefined' },
      201,
      (c, options) => this.api.createNamespacedCustomObject({ ...c, body }, options),
      parseObject,
    );
  }

  /**
   * Replaces the object with `body` (a whole body, as `read` returned it, so nothing Jangar does not
   * model is dropped); `undefined` on a resourceVersion conflict, so the caller decides whether to retry.
   */
  replace(kind: KindDefinition, body: StoredBody): Promise<KubeObject | undefined> {
    const { namespace, name } = body.metadata;
    return this.call(
      'replace',
      { kind, namespace, name },
      { 409: 'undefined' },
      200,
      (c, options) => this.api.replaceNamespacedCustomObject({ ...c, name, body }, options),
      parseObject,
    );
  }

  /** Merge-patches the status subresource; `undefined` when the object is gone. */
  patchStatus(kind: KindDefinition, namespace: string, name: string, status: Record<string, unknown>): Promise<KubeObject | undefined> {
    return this.call(
      'patch-status',
      { kind, namespace, name },
      { 404: 'undefined' },
      200,
      (c, options) => this.api.patchNamespacedCustomObjectStatus({ ...c, name, body: { status } }, options),
      parseObject,
      mergePatch,
    );
  }

  /**
   * Deletes the object, preconditioned on its uid (a newer object of the same name is never the one
   * removed) and, when given, on the resourceVersion the client last saw. Returns what the server answered: the object still held by
   * finalizers, or a Status once it is gone; `undefined` when it was already gone.
   */
  delete(kind: KindDefinition, current: KubeObject, resourceVersion?: string): Promise<KubeObject | 'gone' | undefined> {
    const { namespace, name, uid } = current.metadata;
    return this.call(
      'delete',
      { kind, namespace, name },
      { 404: 'undefined' },
      200,
      (c, options) =>
        this.api.deleteNamespacedCustomObject(
          {
            ...c,
            name,
            propagationPolicy: 'Background',
            body: { preconditions: { uid, ...(resourceVersion ? { resourceVersion } : {}) } },
          },
          options,
        ),
      (raw) => {
        const parsed = KubeObject.safeParse(raw);
        return parsed.success && parsed.data.kind === kind.kind ? parsed.data : 'gone';
      },
    );
  }

  /**
   * Deletes a provider resource (a Job, an Argo Workflow) in the background, so its pods go with it;
   * already gone is fine.
   */
  async deleteProviderResource(ref: { apiVersion: string; kind: string; name: string; namespace: string }): Promise<void> {
    const [group, version] = ref.apiVersion.includes('/') ? ref.apiVersion.split('/') : ['', ref.apiVersion];
    const plural = `${ref.kind.toLowerCase()}s`;
    await withSpan(`kube delete ${ref.kind}`, { kind: SpanKind.CLIENT, attributes: { 'k8s.object.name': ref.name } }, async () => {
      try {
        await this.api.deleteNamespacedCustomObject(
          { group: group ?? '', version: version ?? '', namespace: ref.namespace, plural, name: ref.name, propagationPolicy: 'Background' },
          withDeadline(this.timeoutMs),
        );
      } catch (err) {
        if (kubeStatusCode(err) !== 404) throw translateKubeError(err, `delete ${ref.kind} ${ref.namespace}/${ref.name}`);
      }
    });
  }

  /**
   * Every object of a kind in one namespace (or all, when `namespace` is undefined) matching the
   * label selector, read in chunks so one list never asks the API server for everything at once.
   */
  async list(kind: KindDefinition, namespace: string | undefined, labelSelector: string | undefined): Promise<KubeObject[]> {
    const items: KubeObject[] = [];
    let next: string | undefined;
    do {
      const page = await this.call(
        'list',
        { kind, namespace: namespace ?? '*', name: '' },
        {},
        200,
        (c, options) => {
          const query = { group: c.group, version: c.version, plural: c.plural, labelSelector, limit: 500, _continue: next };
          return namespace === undefined
            ? this.api.listClusterCustomObject(query, options)
            : this.api.listNamespacedCustomObject({ ...query, namespace }, options);
        },
        (raw) => KubeList.parse(raw),
      );
      // Lists carry no kind on their items; the kind asked for is the kind of every one.
      for (const item of page?.items ?? []) items.push({ ...item, kind: kind.kind });
      next = page?.metadata?.continue || undefined;
    } while (next);
    return items;
  }
}

function parseObject(raw: unknown): KubeObject {
  return KubeObject.parse(raw);
}
