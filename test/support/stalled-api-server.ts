/**
 * An API server that takes every request and never answers, as a stalled control plane would,
 * and a client of it: for tests of the deadlines on calls to Kubernetes.
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { kubeconfigFor } from '@jangar/kube-dev';

export interface StalledApiServer {
  api: CustomObjectsApi;
  close(): Promise<void>;
}

export async function stalledApiServer(): Promise<StalledApiServer> {
  const held: Socket[] = [];
  const server = createServer((req) => held.push(req.socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  return {
    api: kc.makeApiClient(CustomObjectsApi),
    async close() {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
