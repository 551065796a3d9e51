import { z } from 'zod';
import { DatabaseConfig } from '@jangar/service-kit';

export const StatusConfig = DatabaseConfig.extend({
  KUBECONFIG: z.string().optional(),
});
