import { z } from 'zod';
import { defineProvider } from './types.js';

/** `custom`: the run is POSTed to the endpoint the run names. */
export const customProvider = defineProvider({
  config: z.object({ endpoint: z.url({ protocol: /^https?$/ }) }),
  bind: (_input, config) => ({ provider: 'custom', config: { endpoint: config.endpoint } }),
});
