import { CONSUMERS, SERVICE_NAMES, SUBJECTS } from '@jangar/contracts';
import { consume, ensureConsumer, manager, runService, serveRpc } from '@jangar/service-kit';
import { PolicyConfig } from './config.js';
import { handleRequest } from './handler.js';

await runService({
  name: 'policy',
  config: PolicyConfig,
  async start({ config, logger, nc, js }) {
    const deps = {
      js,
      logger,
      mode: config.JANGAR_POLICY_MODE,
      settings: { allowedRuntimes: config.JANGAR_POLICY_ALLOWED_RUNTIMES, allowedSecrets: config.JANGAR_POLICY_ALLOWED_SECRETS },
    };
    await ensureConsumer(await manager(nc), CONSUMERS.policyRequests);
    const sub = await consume(nc, CONSUMERS.policyRequests, SUBJECTS.request.schema, (m) => handleRequest(m, deps), { logger });
    const service = await serveRpc(nc, SERVICE_NAMES.policy, [], logger);
    return {
      async stop() {
        await sub.stop();
        await service.stop();
      },
    };
  },
});
