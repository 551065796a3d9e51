import type { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { KindDefinition } from '@jangar/contracts';
import type { Logger } from '@jangar/service-kit';
import { kindInformer, type CachingInformer } from '@jangar/service-kit/kube';

/**
 * Informer caches of the kinds specs refer to (Agents, Orchestrations, Tools, Signals), so checking
 * that a run's Agent exists costs no API call — before, it was one GET per create, a third of the
 * provisioner's calls. A cache only ever says "it exists": an object it does not hold yet (created a
 * moment ago, or a kind not installed on the cluster) is still asked of the API server. An object
 * deleted a moment ago may still be seen as existing, as with any controller's lister; the API
 * server never promised the reference would stay valid anyway.
 */
export class ReferenceCache {
  private readonly informers = new Map<string, CachingInformer>();
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly api: CustomObjectsApi,
    private readonly kinds: readonly KindDefinition[],
    private readonly logger: Logger,
  ) {}

  /** Starts the informers in the background: until one has listed, its kind is looked up with a GET. */
  start(): void {
    for (const kind of this.kinds) {
      const informer = kindInformer(this.kc, this.api, kind, { logger: this.logger, stopped: () => this.stopped });
      this.informers.set(kind.kind, informer);
      void informer
        .start()
        .catch((err: unknown) => this.logger.warn({ err: String(err), kind: kind.kind }, 'reference informer did not start'));
    }
  }

  /** True when the object is known to exist; false means "not known here", never "does not exist". */
  has(kind: KindDefinition, namespace: string, name: string): boolean {
    return this.informers.get(kind.kind)?.get(name, namespace) !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
