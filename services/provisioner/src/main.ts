import { CONSUMERS, RPCS, SERVICE_NAMES, SUBJECTS } from '@jangar/contracts';
import { endpoint, manager, runService, serveRpc } from '@jangar/service-kit';
import { customObjects, loadKubeConfig } from '@jangar/service-kit/kube';
import { REFERENCED_KINDS } from './apply/references.js';
import { answerCannotProcess, declineGivingUp } from './cannot-process.js';
import { Cluster } from './cluster.js';
import { ReferenceCache } from './reference-cache.js';
import { ProvisionerConfig } from './config.js';
import { handleDecision } from './handler.js';
import { getResource, listResources } from './reads.js';
import { Tombstones } from './tombstones.js';

await runService({
  name: 'provisioner',
  config: ProvisionerConfig,
  async start({ config, logger, nc, js, consume }) {
    const kc = loadKubeConfig(config.KUBECONFIG);
    const api = customObjects(kc);
    const references = new ReferenceCache(kc, api, REFERENCED_KINDS, logger);
    references.start();
    const cluster = new Cluster(api, references);
    const tombstones = new Tombstones(js, await manager(nc));
    const sub = await consume(
      CONSUMERS.provisionerAllowed,
      SUBJECTS.decision.schema,
      (m) => handleDecision(m, { js, cluster, tombstones, logger }),
      {
        giveUp: { declines: (m) => declineGivingUp(cluster, m), answer: (m) => answerCannotProcess(js, m) },
      },
    );
    const service = await serveRpc(
      nc,
      SERVICE_NAMES.provisioner,
      [endpoint(RPCS.getResource, (q) => getResource(cluster, q)), endpoint(RPCS.listResources, (q) => listResources(cluster, q))],
      logger,
    );
    return {
      async stop() {
        await sub.stop();
        await service.stop();
        await references.stop();
      },
    };
  },
});
