import { z } from 'zod';

export const ProvisionerConfig = z.object({
  /** Path of the kubeconfig; unset means in-cluster or the default locations. */
  KUBECONFIG: z.string().optional(),
});
