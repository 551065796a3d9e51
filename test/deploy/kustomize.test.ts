import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, SERVICE_NAMES } from '@jangar/stack';
import { KINDS } from '@jangar/contracts';

const run = promisify(execFile);

/** The manifests render with kubectl's built-in kustomize; no cluster is needed. */
const KUBECTL_CANDIDATES = [process.env.KUBECTL, '/usr/bin/kubectl', '/usr/local/bin/kubectl'].filter((p): p is string => !!p);

const VERBS_READ = ['get', 'list', 'watch'];
/** Every Jangar kind's plurals by API group, from the contracts the CRDs are generated from. */
const CRD_RESOURCES: Record<string, string[]> = {};
for (const kind of KINDS) (CRD_RESOURCES[kind.group] ??= []).push(kind.plural);
/** Provider workloads the provisioner deletes when it cancels a run, and nothing else. */
const WORKLOADS: Record<string, string[]> = { batch: ['jobs'], 'argoproj.io': ['workflows'] };
/** Services that use the Kubernetes API; the others get no token and no bindings. */
const KUBE_CLIENTS = new Set(['policy', 'provisioner', 'status-aggregator']);
/** Services that use Postgres (they read DATABASE_URL). */
const DATABASE_USERS = new Set(['api-gateway', 'policy', 'status-aggregator', 'audit']);

interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}
interface Obj {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  [key: string]: unknown;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  topologySpreadConstraints?: unknown[];
  containers: Container[];
  volumes?: { name: string; emptyDir?: unknown; configMap?: { name: string } }[];
}
interface Workload extends Obj {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    volumeClaimTemplates?: unknown[];
  };
}
interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
}
interface Binding extends Obj {
  roleRef: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}
interface NetworkPolicy extends Obj {
  spec: {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes?: string[];
    ingress?: { from?: unknown[]; ports?: { port: number | string }[] }[];
  };
}

class Rendered {
  constructor(readonly objects: Obj[]) {}

  all<T extends Obj = Obj>(kind: string): T[] {
    return this.objects.filter((o) => o.kind === kind) as T[];
  }

  find<T extends Obj = Obj>(kind: string, name: string): T | undefined {
    return this.all<T>(kind).find((o) => o.metadata.name === name);
  }

  get<T extends Obj = Obj>(kind: string, name: string): T {
    const found = this.find<T>(kind, name);
    if (!found) throw new Error(`no ${kind} named ${name}`);
    return found;
  }

  /** The rules granted to a service account in namespace jangar, through any binding. */
  rulesOf(serviceAccount: string): Rule[] {
    return this.bindingsOf(serviceAccount).flatMap((b) => (this.get(b.roleRef.kind, b.roleRef.name).rules as Rule[] | undefined) ?? []);
  }

  bindingsOf(serviceAccount: string): Binding[] {
    return [...this.all<Binding>('ClusterRoleBinding'), ...this.all<Binding>('RoleBinding')].filter((b) =>
      (b.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === serviceAccount && s.namespace === 'jangar'),
    );
  }

  /** The ConfigMap a Deployment's envFrom names (generated names carry a hash suffix). */
  configOf(workload: Workload): Record<string, string> {
    const ref = workload.spec.template.spec.containers[0]!.envFrom?.[0]?.configMapRef?.name;
    expect(ref, `${workload.metadata.name} envFrom`).toMatch(/^jangar-config-/);
    return this.get('ConfigMap', ref!).data as Record<string, string>;
  }

  /** True when some NetworkPolicy admits traffic from the namespace to these pods on this port. */
  ingressOpen(podLabels: Record<string, string>, port: number): boolean {
    return this.all<NetworkPolicy>('NetworkPolicy').some((np) => {
      const selects = Object.entries(np.spec.podSelector.matchLabels ?? {}).every(([k, v]) => podLabels[k] === v);
      return selects && (np.spec.ingress ?? []).some((rule) => (rule.ports ?? []).some((p) => p.port === port));
    });
  }
}

function can(rules: Rule[], verb: string, group: string, resource: string): boolean {
  return rules.some(
    (r) =>
      (r.apiGroups ?? []).some((g) => g === group || g === '*') &&
      (r.resources ?? []).some((x) => x === resource || x === '*') &&
      r.verbs.some((v) => v === verb || v === '*'),
  );
}

async function findKubectl(): Promise<string> {
  for (const candidate of KUBECTL_CANDIDATES) if (existsSync(candidate)) return candidate;
  try {
    const { stdout } = await run('sh', ['-c', 'command -v kubectl']);
    if (stdout.trim()) return stdout.trim();
  } catch {
    // not on PATH either
  }
  throw new Error(
    'kubectl was not found (looked at $KUBECTL, /usr/bin/kubectl, /usr/local/bin/kubectl and PATH). ' +
      'These tests render deploy/ with `kubectl kustomize`: install kubectl 1.27 or newer, or set KUBECTL to its path.',
  );
}

async function render(kubectl: string, dir: string): Promise<Rendered> {
  const { stdout } = await run(kubectl, ['kustomize', path.join(REPO_ROOT, dir)], { cwd: REPO_ROOT, maxBuffer: 32 * 1024 * 1024 });
  const objects: Obj[] = [];
  for (const doc of parseAllDocuments(stdout)) {
    if (doc.errors.length) throw new Error(`${dir}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as Obj | null;
    if (value) objects.push(value);
  }
  return new Rendered(objects);
}

const TARGETS = ['deploy/base', 'deploy/overlays/development', 'deploy/overlays/production'] as const;
type Target = (typeof TARGETS)[number];
const rendered = {} as Record<Target, Rendered>;

beforeAll(async () => {
  const kubectl = await findKubectl();
  for (const target of TARGETS) rendered[target] = await render(kubectl, target);
});

describe.each(TARGETS)('kubectl kustomize %s', (target) => {
  const r = () => rendered[target];
  const expectedReplicas = { 'deploy/base': 2, 'deploy/overlays/development': 1, 'deploy/overlays/production': 3 }[target];
  const databaseSecret = target === 'deploy/overlays/production' ? 'jangar-db-app' : 'jangar-db';

  it('includes the namespace and the five CRDs from deploy/crds', () => {
    expect(r().find('Namespace', 'jangar')).toBeDefined();
    const crds = r()
      .all('CustomResourceDefinition')
      .map((c) => c.metadata.name)
      .sort();
    expect(crds).toEqual(
      Object.entries(CRD_RESOURCES)
        .flatMap(([group, plurals]) => plurals.map((p) => `${p}.${group}`))
        .sort(),
    );
    for (const o of r().objects) {
      const clusterScoped = ['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind);
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(clusterScoped ? undefined : 'jangar');
    }
  });

  describe.each(SERVICE_NAMES)('%s', (service) => {
    const deployment = () => r().get<Workload>('Deployment', service);
    const container = () => deployment().spec.template.spec.containers[0]!;

    it('has a Deployment with the image, both probes on the health port, and a hardened pod', () => {
      const d = deployment();
      const pod = d.spec.template.spec;
      const c = container();
      expect(d.spec.replicas).toBe(expectedReplicas);
      expect(pod.containers).toHaveLength(1);
      expect(c.image).toBe(`ghcr.io/proompteng/jangar-${service}:0.1.0`);
      expect(c.ports).toContainEqual(expect.objectContaining({ name: 'health', containerPort: 9090 }));
      expect(c.livenessProbe?.httpGet).toEqual({ path: '/livez', port: 'health' });
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'health' });
      expect(r().configOf(d)).toMatchObject({ HEALTH_PORT: '9090', HEALTH_HOST: '0.0.0.0' });

      expect(pod.serviceAccountName).toBe(service);
      expect(pod.terminationGracePeriodSeconds).toBe(30);
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      expect(pod.volumes?.find((v) => v.name === 'tmp')?.emptyDir).toBeDefined();
      expect(c.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.resources?.limits).toMatchObject({ memory: expect.any(String) });
      expect(pod.topologySpreadConstraints?.length).toBeGreaterThan(0);
    });

    it('reads its settings from jangar-config and, when it uses Postgres, DATABASE_URL from the database secret', () => {
      expect(r().configOf(deployment())).toMatchObject({ NATS_URL: expect.stringMatching(/^nats:\/\//) });
      const databaseUrl = container().env?.find((e) => e.name === 'DATABASE_URL');
      if (DATABASE_USERS.has(service)) {
        expect(databaseUrl?.valueFrom?.secretKeyRef).toEqual({ name: databaseSecret, key: 'uri' });
      } else {
        expect(databaseUrl).toBeUndefined();
      }
    });

    it('has a ServiceAccount, a PodDisruptionBudget and a CPU HorizontalPodAutoscaler', () => {
      const labels = deployment().spec.template.metadata.labels;
      expect(r().find('ServiceAccount', service)).toBeDefined();

      const pdbs = r()
        .all<Obj & { spec: { selector: { matchLabels: Record<string, string> } } }>('PodDisruptionBudget')
        .filter((p) => Object.entries(p.spec.selector.matchLabels).every(([k, v]) => labels[k] === v));
      expect(pdbs).toHaveLength(1);

      const hpa = r().get<Obj & { spec: Record<string, unknown> }>('HorizontalPodAutoscaler', service);
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec).toMatchObject({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: service },
        minReplicas: expectedReplicas,
        maxReplicas: expect.any(Number),
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      });
    });

    it('has Kubernetes API access only if it uses the API', () => {
      const sa = r().get<Obj & { automountServiceAccountToken?: boolean }>('ServiceAccount', service);
      if (KUBE_CLIENTS.has(service)) {
        expect(r().bindingsOf(service).length).toBeGreaterThan(0);
      } else {
        expect(r().bindingsOf(service)).toEqual([]);
        expect(sa.automountServiceAccountToken).toBe(false);
        expect(deployment().spec.template.spec.automountServiceAccountToken).toBe(false);
      }
    });
  });

  it('lets the provisioner manage every Jangar resource and its status', () => {
    const rules = r().rulesOf('provisioner');
    expect(can(rules, 'create', 'agents.proompteng.ai', 'agentruns')).toBe(true);
    for (const [group, plurals] of Object.entries(CRD_RESOURCES)) {
      for (const plural of plurals) {
        for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']) {
          expect(can(rules, verb, group, plural), `${verb} ${plural}.${group}`).toBe(true);
        }
        expect(can(rules, 'patch', group, `${plural}/status`), `patch ${plural}/status`).toBe(true);
      }
    }
    for (const [group, plurals] of Object.entries(WORKLOADS))
      for (const plural of plurals) expect(can(rules, 'delete', group, plural)).toBe(true);
    // Nothing outside the project's groups, and only deletes of workloads.
    for (const rule of rules) {
      const groups = rule.apiGroups ?? [];
      if (groups.every((g) => g in CRD_RESOURCES)) continue;
      expect(groups.every((g) => g in WORKLOADS) && rule.verbs.every((v) => v === 'delete'), JSON.stringify(rule)).toBe(true);
    }
  });

  it('lets the status-aggregator only read: runs, jobs and workflows', () => {
    const rules = r().rulesOf('status-aggregator');
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules)
      expect(
        rule.verbs.every((v) => VERBS_READ.includes(v)),
        JSON.stringify(rule),
      ).toBe(true);
    expect(can(rules, 'watch', 'agents.proompteng.ai', 'agentruns')).toBe(true);
    expect(can(rules, 'watch', 'orchestration.proompteng.ai', 'orchestrationruns')).toBe(true);
    expect(can(rules, 'list', 'batch', 'jobs')).toBe(true);
    expect(can(rules, 'list', 'argoproj.io', 'workflows')).toBe(true);
    expect(can(rules, 'create', 'agents.proompteng.ai', 'agentruns')).toBe(false);
  });

  it('serves the gateway on port 80 and reads its tokens from a Secret', () => {
    const svc = r().get<Obj & { spec: { ports: { port: number; targetPort: string | number }[] } }>('Service', 'api-gateway');
    expect(svc.spec.ports).toContainEqual(expect.objectContaining({ port: 80, targetPort: 'http' }));
    const gateway = r().get<Workload>('Deployment', 'api-gateway').spec.template.spec.containers[0]!;
    expect(gateway.ports).toContainEqual(expect.objectContaining({ name: 'http', containerPort: 8080 }));
    expect(gateway.env).toContainEqual({ name: 'JANGAR_HTTP_HOST', value: '0.0.0.0' });
    expect(gateway.env).toContainEqual({ name: 'JANGAR_HTTP_PORT', value: '8080' });
    expect(gateway.env?.find((e) => e.name === 'JANGAR_API_TOKENS')?.valueFrom?.secretKeyRef).toEqual({
      name: 'jangar-api-tokens',
      key: 'tokens',
    });
  });

  it('denies ingress by default and opens the gateway and the health port', () => {
    const deny = r()
      .all<NetworkPolicy>('NetworkPolicy')
      .find((np) => Object.keys(np.spec.podSelector).length === 0 && np.spec.policyTypes?.includes('Ingress') && !np.spec.ingress);
    expect(deny, 'a default-deny ingress policy').toBeDefined();
    const http = r()
      .all<NetworkPolicy>('NetworkPolicy')
      .find((np) => np.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'api-gateway');
    expect(http?.spec.ingress).toEqual([{ ports: [{ port: 8080, protocol: 'TCP' }] }]);
    for (const service of SERVICE_NAMES) {
      const labels = r().get<Workload>('Deployment', service).spec.template.metadata.labels;
      expect(r().ingressOpen(labels, 9090), `${service} health port`).toBe(true);
    }
  });
});

describe('development overlay', () => {
  const r = () => rendered['deploy/overlays/development'];

  it('runs a single-node NATS with JetStream on a PVC behind the Service nats', () => {
    const nats = r().get<Workload>('StatefulSet', 'nats');
    expect(nats.spec.replicas).toBe(1);
    expect(nats.spec.template.spec.containers[0]!.command).toEqual(expect.arrayContaining(['--jetstream', '--store_dir']));
    expect(nats.spec.volumeClaimTemplates).toHaveLength(1);
    expect(r().find('Service', 'nats')).toBeDefined();
    expect(r().ingressOpen(nats.spec.template.metadata.labels, 4222)).toBe(true);
  });

  it('runs postgres:16 on a PVC with the jangar-db Secret the services read', () => {
    const pg = r().get<Workload>('StatefulSet', 'postgres');
    expect(pg.spec.replicas).toBe(1);
    expect(pg.spec.template.spec.containers[0]!.image).toBe('postgres:16');
    expect(pg.spec.volumeClaimTemplates).toHaveLength(1);
    expect(r().ingressOpen(pg.spec.template.metadata.labels, 5432)).toBe(true);
    const secret = r().get<Obj & { data: Record<string, string> }>('Secret', 'jangar-db');
    expect(Buffer.from(secret.data.uri!, 'base64').toString()).toMatch(/^postgres:\/\/.+@postgres:5432\/jangar$/);
    expect(r().find('Secret', 'jangar-api-tokens')).toBeDefined();
  });

  it('logs at debug level', () => {
    expect(r().configOf(r().get<Workload>('Deployment', 'policy')).LOG_LEVEL).toBe('debug');
  });
});

describe('production overlay', () => {
  const r = () => rendered['deploy/overlays/production'];

  it('has a CNPG Cluster jangar-db with 3 instances', () => {
    const cluster = r().get<Obj & { spec: { instances: number } }>('Cluster', 'jangar-db');
    expect(cluster.apiVersion).toBe('postgresql.cnpg.io/v1');
    expect(cluster.spec.instances).toBe(3);
    expect(r().ingressOpen({ 'cnpg.io/cluster': 'jangar-db' }, 5432)).toBe(true);
  });

  it('runs a 3-server NATS cluster with JetStream and cluster routes', () => {
    const nats = r().get<Workload>('StatefulSet', 'nats');
    expect(nats.spec.replicas).toBe(3);
    expect(nats.spec.volumeClaimTemplates).toHaveLength(1);
    const configMap = nats.spec.template.spec.volumes?.find((v) => v.configMap)?.configMap?.name;
    const conf = (r().get('ConfigMap', configMap!).data as Record<string, string>)['nats.conf']!;
    expect(conf).toMatch(/jetstream\s*\{/);
    for (const i of [0, 1, 2]) expect(conf).toContain(`nats://nats-${i}.nats-headless:6222`);
    expect(r().ingressOpen(nats.spec.template.metadata.labels, 4222)).toBe(true);
    expect(r().ingressOpen(nats.spec.template.metadata.labels, 6222)).toBe(true);
  });

  it('asks for stream replicas R3', () => {
    expect(r().configOf(r().get<Workload>('Deployment', 'policy')).JANGAR_STREAM_REPLICAS).toBe('3');
  });
});
