import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Names used inside generated kubeconfigs. */
export const KUBECONFIG_NAMES = { cluster: 'jangar-dev', user: 'jangar-dev', context: 'jangar-dev' } as const;

/** Options for {@link kubeconfigFor}. */
export interface KubeconfigOptions {
  /** The context's default namespace; `jangar` unless given. */
  namespace?: string;
}

/**
 * A kubeconfig (YAML) for a kube-dev server. `insecure-skip-tls-verify` is set because
 * client-node refuses plain-http servers without it; the token is accepted but never checked.
 */
export function kubeconfigFor(url: string, opts: KubeconfigOptions = {}): string {
  const { cluster, user, context } = KUBECONFIG_NAMES;
  const namespace = opts.namespace ?? 'jangar';
  // JSON.stringify yields valid YAML double-quoted scalars for arbitrary strings.
  const q = (value: string): string => JSON.stringify(value);
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${q(cluster)}`,
    '  cluster:',
    `    server: ${q(url)}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    `- name: ${q(user)}`,
    '  user:',
    '    token: dev',
    'contexts:',
    `- name: ${q(context)}`,
    '  context:',
    `    cluster: ${q(cluster)}`,
    `    user: ${q(user)}`,
    `    namespace: ${q(namespace)}`,
    `current-context: ${q(context)}`,
    'preferences: {}',
    '',
  ].join('\n');
}

/** Writes {@link kubeconfigFor} to `path` atomically, readable only by the owner. */
export async function writeKubeconfig(path: string, url: string, opts: KubeconfigOptions = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, kubeconfigFor(url, opts), { mode: 0o600 });
  await rename(tmp, path);
}
