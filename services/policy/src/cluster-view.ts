import type { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { Agent, ApprovalPolicy, Budget, Guardrail, KubeObject, SecretBinding, type KindDefinition } from '@jangar/contracts';
import type { Logger } from '@jangar/service-kit';
import { kindInformer, type CachingInformer } from '@jangar/service-kit/kube';

/** The kinds the policy service decides with, kept current by informers. */
export const WATCHED_KINDS = [Guardrail, Agent, SecretBinding, Budget, ApprovalPolicy] as const;

/**
 * The policy service's view of the cluster: every Guardrail, Agent and SecretBinding, cached by
 * informers so a decision costs no API call and a changed policy takes effect without a restart.
 */
export class ClusterView {
  private readonly informers = new Map<string, CachingInformer>();
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
    const informer = kindInformer(this.kc, this.api, kind, {
      logger: this.logger,
      stopped: () => this.stopped,
      onError: () => this.synced.delete(kind.kind),
    });
    informer.on('connect', () => this.synced.add(kind.kind));
    this.informers.set(kind.kind, informer);
    await informer.start();
    this.synced.add(kind.kind);
  }

  /** True once every informer has listed and is watching. */
  ready(): boolean {
    return WATCHED_KINDS.every((k) => this.synced.has(k.kind));
  }

  /** Every cached object of a kind in a namespace, or in every namespace. */
  list(kind: KindDefinition, namespace?: string): KubeObject[] {
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
