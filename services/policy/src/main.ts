import { CONSUMERS, SERVICE_NAMES, SUBJECTS } from '@jangar/contracts';
import { runService, serveRpc } from '@jangar/service-kit';
import { PolicyConfig } from './config.js';
import { handleRequest } from './handler.js';

await runService({
  name: 'policy',
  config: PolicyConfig,
  async start({ config, logger, nc, js, consume }) {
    const deps = {
      js,
      logger,
      mode: config.JANGAR_POLICY_MODE,
      settings: { allowedRuntimes: config.JANGAR_POLICY_ALLOWED_RUNTIMES, allowedSecrets: config.JANGAR_POLICY_ALLOWED_SECRETS },
    };
    const sub = await consume(CONSUMERS.policyRequests, SUBJECTS.request.schema, (m) => handleRequest(m, deps));
    const service = await serveRpc(nc, SERVICE_NAMES.policy, [], logger);
    return {
      async stop() {
        await sub.stop();
        await service.stop();
      },
    };
  },
});
