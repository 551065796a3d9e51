import {
  makeInformer,
  type CustomObjectsApi,
  type Informer,
  type KubeConfig,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import { Agent, ApprovalPolicy, Budget, Guardrail, KubeObject, SecretBinding, type KindDefinition } from '@jangar/contracts';
import type { Logger } from '@jangar/service-kit';

/** How long an informer waits after a failed watch before it lists and watches again. */
const RESTART_DELAY_MS = 1000;

/** The kinds the policy service decides with, kept current by informers. */
export const WATCHED_KINDS = [Guardrail, Agent, SecretBinding, Budget, ApprovalPolicy] as const;

/**
 * The policy service's view of the cluster: every Guardrail, Agent and SecretBinding, cached by
 * informers so a decision costs no API call and a changed policy takes effect without a restart.
 */
export class ClusterView {
  private readonly informers = new Map<string, Informer<KubernetesObject> & ObjectCache<KubernetesObject>>();
  private readonly synced = new Set<string>();
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly api: CustomObjectsApi,
    private readonly logger: Logger,
  ) {}

  /** Starts one informer per kind; resolves once each has listed. */
  async start(): Promise<void> {
    await Promise.all(WATCHED_KINDS.map((kind) => this.startInformer(kind)));
  }

  private async startInformer(kind: KindDefinition): Promise<void> {
    const path = `/apis/${kind.group}/${kind.version}/${kind.plural}`;
    const informer = makeInformer<KubernetesObject>(this.kc, path, () =>
      this.api.listClusterCustomObject({ group: kind.group, version: kind.version, plural: kind.plural }),
    );
    informer.on('connect', () => this.synced.add(kind.kind));
    informer.on('error', (err: unknown) => {
      this.synced.delete(kind.kind);
      if (this.stopped) return;
      this.logger.warn({ err, kind: kind.kind }, 'policy informer failed; listing again');
      setTimeout(() => void informer.start().catch(() => undefined), RESTART_DELAY_MS).unref();
    });
    this.informers.set(kind.kind, informer);
    await informer.start();
    this.synced.add(kind.kind);
  }

  /** True once every informer has listed and is watching. */
  ready(): boolean {
    return WATCHED_KINDS.every((k) => this.synced.has(k.kind));
  }

  /** Every cached object of a kind in a namespace. */
  list(kind: KindDefinition, namespace: string): KubeObject[] {
    return (this.informers.get(kind.kind)?.list(namespace) ?? []).flatMap((o) => {
      const parsed = KubeObject.safeParse({ kind: kind.kind, ...o });
      return parsed.success ? [parsed.data] : [];
    });
  }

  /** One cached object, or undefined. */
  get(kind: KindDefinition, namespace: string, name: string): KubeObject | undefined {
    const raw = this.informers.get(kind.kind)?.get(name, namespace);
    const parsed = KubeObject.safeParse(raw ? { kind: kind.kind, ...raw } : undefined);
    return parsed.success ? parsed.data : undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
