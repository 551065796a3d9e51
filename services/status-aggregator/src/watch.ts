import { makeInformer, type CustomObjectsApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { AgentRun, KubeObject, OrchestrationRun, type KindDefinition } from '@jangar/contracts';
import { timeKubeCall, type Logger } from '@jangar/service-kit';

export const RUN_KINDS: readonly KindDefinition[] = [AgentRun, OrchestrationRun];

/**
 * Informers on every run kind, cluster-wide. Events of all kinds go through one serial queue, so
 * each object's versions are handled in the order the API server sent them. An informer that
 * fails restarts after a pause (it re-lists, so nothing is missed).
 */
export function watchRuns(kc: KubeConfig, api: CustomObjectsApi, onObject: (obj: KubeObject) => Promise<void>, logger: Logger) {
  let queue: Promise<void> = Promise.resolve();
  let stopped = false;
  let synced = 0;
  const enqueue = (raw: KubernetesObject) => {
    queue = queue.then(async () => {
      const parsed = KubeObject.safeParse(raw);
      if (!parsed.success) {
        logger.warn({ name: raw.metadata?.name }, 'ignoring a run object without the expected metadata');
        return;
      }
      // A failed write is retried until it lands: dropping it would lose a transition.
      for (let attempt = 1; !stopped; attempt++) {
        try {
          await onObject(parsed.data);
          return;
        } catch (err) {
          logger.warn({ err, attempt, name: parsed.data.metadata.name }, 'recording a run failed; retrying');
          await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 5_000)));
        }
      }
    });
  };
  const informers = RUN_KINDS.map((kind) => {
    const informer = makeInformer(
      kc,
      `/apis/${kind.group}/${kind.version}/${kind.plural}`,
      () =>
        timeKubeCall('list', kind.kind, () =>
          api.listClusterCustomObject({ group: kind.group, version: kind.version, plural: kind.plural }),
        ) as never,
    );
    informer.on('add', enqueue);
    informer.on('update', enqueue);
    informer.on('error', (err) => {
      if (stopped) return;
      logger.warn({ err: String(err), kind: kind.kind }, 'watch failed; restarting');
      setTimeout(() => void informer.start().catch(() => undefined), 1_000).unref();
    });
    return informer;
  });
  return {
    async start() {
      for (const informer of informers) {
        await informer.start();
        synced++;
      }
    },
    synced: () => synced === informers.length,
    async stop() {
      stopped = true;
      await Promise.all(informers.map((i) => i.stop()));
      await queue;
    },
  };
}
