import { CONSUMERS, RPCS, SERVICE_NAMES, SUBJECTS } from '@jangar/contracts';
import { endpoint, runService, serveRpc } from '@jangar/service-kit';
import { customObjects, loadKubeConfig } from '@jangar/service-kit/kube';
import { Cluster } from './cluster.js';
import { ProvisionerConfig } from './config.js';
import { handleDecision } from './handler.js';
import { getResource, listResources } from './reads.js';

await runService({
  name: 'provisioner',
  config: ProvisionerConfig,
  async start({ config, logger, nc, js, consume }) {
    const cluster = new Cluster(customObjects(loadKubeConfig(config.KUBECONFIG)));
    const sub = await consume(CONSUMERS.provisionerAllowed, SUBJECTS.decision.schema, (m) => handleDecision(m, { js, cluster, logger }));
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
      },
    };
  },
});
