import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AgentRunSpec,
  BudgetAmounts,
  BudgetStatus,
  crdFor,
  fieldErrorsFromZod,
  ImplementationSpec,
  InlineImplementation,
  kindByName,
  kindByRoute,
  kindByToken,
  KINDS,
  Runtime,
  phasesOf,
  mergePatch,
  ToolRunSpec,
  ToolRunStatus,
  type KindDefinition,
  type KindName,
} from '../src/index.js';
import { REFERENCES_OF, SAMPLE_PATCHES, SAMPLE_SPECS } from './fixtures/sample-specs.js';

const SUPPORTING = [
  ['AgentProvider', 'agents.proompteng.ai', 'agentproviders', 'agent-providers'],
  ['ImplementationSpec', 'agents.proompteng.ai', 'implementationspecs', 'implementation-specs'],
  ['ImplementationSource', 'agents.proompteng.ai', 'implementationsources', 'implementation-sources'],
  ['VersionControlProvider', 'agents.proompteng.ai', 'versioncontrolproviders', 'version-control-providers'],
  ['Tool', 'tools.proompteng.ai', 'tools', 'tools'],
  ['ToolRun', 'tools.proompteng.ai', 'toolruns', 'tool-runs'],
  ['Signal', 'signals.proompteng.ai', 'signals', 'signals'],
  ['SignalDelivery', 'signals.proompteng.ai', 'signaldeliveries', 'signal-deliveries'],
  ['ApprovalPolicy', 'approvals.proompteng.ai', 'approvalpolicies', 'approval-policies'],
  ['Budget', 'budgets.proompteng.ai', 'budgets', 'budgets'],
  ['SecretBinding', 'security.proompteng.ai', 'secretbindings', 'secret-bindings'],
  ['Guardrail', 'security.proompteng.ai', 'guardrails', 'guardrails'],
  ['Schedule', 'schedules.proompteng.ai', 'schedules', 'schedules'],
  ['Artifact', 'artifacts.proompteng.ai', 'artifacts', 'artifacts'],
  ['Workspace', 'workspaces.proompteng.ai', 'workspaces', 'workspaces'],
] as const;

const kindNamed = (name: string): KindDefinition => {
  const kind = kindByName(name);
  if (!kind) throw new Error(`no kind ${name}`);
  return kind;
};

/** The distinct paths (`spec.x[0].y`) at which a spec fails its kind's schema; [] when it parses. */
function errorPathsOf(kind: string, spec: unknown): string[] {
  const result = kindNamed(kind).spec.safeParse(spec);
  return result.success ? [] : [...new Set(fieldErrorsFromZod(result.error, ['spec']).map((e) => e.path))].sort();
}

const kindNames = KINDS.map((k) => k.kind);

describe('sample specs', () => {
  it('cover every kind in KINDS with a spec, a merge patch and a reference list', () => {
    expect(Object.keys(SAMPLE_SPECS).sort()).toEqual([...kindNames].sort());
    expect(Object.keys(SAMPLE_PATCHES).sort()).toEqual([...kindNames].sort());
    expect(Object.keys(REFERENCES_OF).sort()).toEqual([...kindNames].sort());
  });

  it.each(kindNames)("the minimal %s sample parses with its kind's spec schema", (name) => {
    expect(errorPathsOf(name, SAMPLE_SPECS[name])).toEqual([]);
  });

  it.each(kindNames)('the %s merge patch changes the sample spec and keeps it valid', (name) => {
    const merged = mergePatch(SAMPLE_SPECS[name], SAMPLE_PATCHES[name]);
    expect(merged).not.toEqual(SAMPLE_SPECS[name]);
    expect(errorPathsOf(name, merged)).toEqual([]);
  });

  it('name exactly the references the provisioner resolves, each of a registered kind and named in the spec', () => {
    expect(REFERENCES_OF).toMatchObject({
      AgentRun: [{ kind: 'Agent', name: 'demo-agent' }],
      OrchestrationRun: [{ kind: 'Orchestration', name: 'demo-orchestration' }],
      Orchestration: [{ kind: 'Agent', name: 'demo-agent' }],
      ToolRun: [{ kind: 'Tool', name: 'demo-tool' }],
      SignalDelivery: [{ kind: 'Signal', name: 'demo-signal' }],
    });
    const referring = new Set(['AgentRun', 'OrchestrationRun', 'Orchestration', 'ToolRun', 'SignalDelivery']);
    for (const name of kindNames) {
      const refs = REFERENCES_OF[name];
      expect(refs.length > 0, name).toBe(referring.has(name));
      for (const ref of refs) {
        expect(kindByName(ref.kind), `${name} -> ${ref.kind}`).toBeDefined();
        expect(JSON.stringify(SAMPLE_SPECS[name]), name).toContain(`"name":"${ref.name}"`);
      }
    }
  });
});

// Each row: a spec that must fail, and the paths it must fail at (nothing else).
const INVALID: ReadonlyArray<{ kind: KindName; why: string; spec: unknown; paths: string[] }> = [
  { kind: 'AgentProvider', why: 'binary missing', spec: {}, paths: ['spec.binary'] },
  {
    kind: 'AgentProvider',
    why: 'an unknown capacity failure policy',
    spec: { binary: 'codex', health: { capacityFailurePolicy: 'retry' } },
    paths: ['spec.health.capacityFailurePolicy'],
  },
  {
    kind: 'AgentProvider',
    why: 'an input file without content',
    spec: { binary: 'codex', inputFiles: [{ path: 'a' }] },
    paths: ['spec.inputFiles[0].content'],
  },
  { kind: 'ImplementationSpec', why: 'text missing', spec: { summary: 's' }, paths: ['spec.text'] },
  { kind: 'ImplementationSpec', why: 'text over 128 KiB', spec: { text: 'x'.repeat(128 * 1024 + 1) }, paths: ['spec.text'] },
  {
    kind: 'ImplementationSpec',
    why: 'an unknown source provider',
    spec: { text: 't', source: { provider: 'jira' } },
    paths: ['spec.source.provider'],
  },
  { kind: 'ImplementationSource', why: 'auth missing', spec: { provider: 'linear' }, paths: ['spec.auth'] },
  { kind: 'ImplementationSource', why: 'auth without secretRef', spec: { provider: 'linear', auth: {} }, paths: ['spec.auth.secretRef'] },
  {
    kind: 'ImplementationSource',
    why: 'a provider other than github or linear',
    spec: { provider: 'gitlab', auth: { secretRef: { name: 's' } } },
    paths: ['spec.provider'],
  },
  { kind: 'VersionControlProvider', why: 'provider missing', spec: {}, paths: ['spec.provider'] },
  { kind: 'VersionControlProvider', why: 'an unknown provider', spec: { provider: 'svn' }, paths: ['spec.provider'] },
  {
    kind: 'VersionControlProvider',
    why: 'an unknown auth method',
    spec: { provider: 'github', auth: { method: 'oauth' } },
    paths: ['spec.auth.method'],
  },
  { kind: 'Tool', why: 'a timeout below one second', spec: { image: 'i', timeoutSeconds: 0 }, paths: ['spec.timeoutSeconds'] },
  { kind: 'Tool', why: 'an env var without value', spec: { env: [{ name: 'A' }] }, paths: ['spec.env[0].value'] },
  { kind: 'Tool', why: 'an unknown field', spec: { image: 'i', timeout: 5 }, paths: ['spec.timeout'] },
  { kind: 'ToolRun', why: 'toolRef missing', spec: { parameters: { a: 'b' } }, paths: ['spec.toolRef'] },
  {
    kind: 'ToolRun',
    why: 'an unknown runtime type',
    spec: { toolRef: { name: 't' }, runtime: { type: 'argo' } },
    paths: ['spec.runtime.type'],
  },
  { kind: 'ToolRun', why: 'a non-string parameter', spec: { toolRef: { name: 't' }, parameters: { n: 1 } }, paths: ['spec.parameters.n'] },
  { kind: 'Signal', why: 'an empty channel', spec: { channel: '' }, paths: ['spec.channel'] },
  { kind: 'Signal', why: 'a payload that is not an object', spec: { payload: 'hello' }, paths: ['spec.payload'] },
  { kind: 'SignalDelivery', why: 'signalRef missing', spec: { payload: {} }, paths: ['spec.signalRef'] },
  {
    kind: 'SignalDelivery',
    why: 'a signalRef that is not a DNS-1123 name',
    spec: { signalRef: { name: 'Bad_Name' } },
    paths: ['spec.signalRef.name'],
  },
  { kind: 'ApprovalPolicy', why: 'a subject without name', spec: { subjects: [{ kind: 'Agent' }] }, paths: ['spec.subjects[0].name'] },
  {
    kind: 'ApprovalPolicy',
    why: 'a subject kind that is not CamelCase',
    spec: { subjects: [{ kind: 'agent', name: 'a' }] },
    paths: ['spec.subjects[0].kind'],
  },
  { kind: 'Budget', why: 'a cpu limit that is not a quantity', spec: { limits: { cpu: 'lots' } }, paths: ['spec.limits.cpu'] },
  { kind: 'Budget', why: 'a negative dollar limit', spec: { limits: { dollars: '-5' } }, paths: ['spec.limits.dollars'] },
  { kind: 'Budget', why: 'a limit key it does not count', spec: { limits: { euros: '5' } }, paths: ['spec.limits.euros'] },
  { kind: 'Budget', why: 'a numeric token limit (limits are strings)', spec: { limits: { tokens: 1000 } }, paths: ['spec.limits.tokens'] },
  {
    kind: 'SecretBinding',
    why: 'a secret name that is not a DNS-1123 name',
    spec: { allowedSecrets: ['Not A Name'] },
    paths: ['spec.allowedSecrets[0]'],
  },
  { kind: 'SecretBinding', why: 'a subject without kind', spec: { subjects: [{ name: 'a' }] }, paths: ['spec.subjects[0].kind'] },
  { kind: 'Guardrail', why: 'an unknown mode', spec: { mode: 'warn' }, paths: ['spec.mode'] },
  { kind: 'Guardrail', why: 'an unknown runtime type', spec: { allowedRuntimes: ['argo'] }, paths: ['spec.allowedRuntimes[0]'] },
  { kind: 'Guardrail', why: 'an image pattern with spaces', spec: { allowedImages: ['ghcr.io/a b'] }, paths: ['spec.allowedImages[0]'] },
  { kind: 'Schedule', why: 'cron missing', spec: { suspend: true }, paths: ['spec.cron'] },
  { kind: 'Schedule', why: 'an empty cron', spec: { cron: '' }, paths: ['spec.cron'] },
  { kind: 'Schedule', why: 'a cron of three fields', spec: { cron: '* * *' }, paths: ['spec.cron'] },
  { kind: 'Schedule', why: 'a cron of seven fields', spec: { cron: '0 0 * * * * 2030' }, paths: ['spec.cron'] },
  { kind: 'Schedule', why: 'an unknown time zone', spec: { cron: '0 * * * *', timezone: 'Mars/Olympus_Mons' }, paths: ['spec.timezone'] },
  {
    kind: 'Schedule',
    why: 'a target without name',
    spec: { cron: '0 * * * *', targetRef: { kind: 'Orchestration' } },
    paths: ['spec.targetRef.name'],
  },
  { kind: 'Artifact', why: 'a TTL of zero days', spec: { lifecycle: { ttlDays: 0 } }, paths: ['spec.lifecycle.ttlDays'] },
  { kind: 'Artifact', why: 'a fractional TTL', spec: { lifecycle: { ttlDays: 1.5 } }, paths: ['spec.lifecycle.ttlDays'] },
  { kind: 'Workspace', why: 'an unknown access mode', spec: { accessModes: ['ReadWriteSometimes'] }, paths: ['spec.accessModes[0]'] },
  { kind: 'Workspace', why: 'an empty access mode list', spec: { accessModes: [] }, paths: ['spec.accessModes'] },
  { kind: 'Workspace', why: 'a size that is not a quantity', spec: { size: '1 GB' }, paths: ['spec.size'] },
  { kind: 'Workspace', why: 'a TTL of zero seconds', spec: { ttlSeconds: 0 }, paths: ['spec.ttlSeconds'] },
];

describe('invalid supporting specs', () => {
  it('include at least one case for every supporting kind', () => {
    expect([...new Set(INVALID.map((c) => c.kind))].sort()).toEqual(SUPPORTING.map(([kind]) => kind).sort());
  });

  it.each(INVALID.map((c) => [c.kind, c.why, c.paths.join(', '), c] as const))(
    'rejects a %s spec with %s, at %s',
    (_kind, _why, _at, c) => {
      expect(errorPathsOf(c.kind, c.spec)).toEqual([...c.paths].sort());
    },
  );
});

describe('supporting spec formats', () => {
  it('accepts cron expressions of 5 or 6 fields and the CronJob macros', () => {
    for (const cron of ['*/5 * * * *', '0 30 9 * * 1-5', '@hourly', '@daily']) expect(errorPathsOf('Schedule', { cron }), cron).toEqual([]);
    expect(errorPathsOf('Schedule', { cron: '0 9 * * *', timezone: 'Europe/Berlin' })).toEqual([]);
  });

  it('accepts Kubernetes quantities for Budget resources and Workspace size, and decimals for dollars', () => {
    for (const q of ['500m', '2', '1.5', '2Gi', '10M', '1e3', '.5']) {
      expect(errorPathsOf('Budget', { limits: { cpu: q, memory: q, gpu: q, tokens: q } }), q).toEqual([]);
      expect(errorPathsOf('Workspace', { size: q }), q).toEqual([]);
    }
    for (const d of ['0', '12', '12.50']) expect(errorPathsOf('Budget', { limits: { dollars: d } }), d).toEqual([]);
    for (const d of ['12.', '1e3', '$5']) expect(errorPathsOf('Budget', { limits: { dollars: d } }), d).toEqual(['spec.limits.dollars']);
  });

  it('accepts every PersistentVolumeClaim access mode on a Workspace', () => {
    const accessModes = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];
    expect(errorPathsOf('Workspace', { accessModes })).toEqual([]);
  });

  it('shares the inline implementation schema between ImplementationSpec and AgentRun, and the runtime schema with ToolRun', () => {
    expect(ImplementationSpec.spec).toBe(InlineImplementation);
    expect(
      AgentRunSpec.safeParse({
        agentRef: { name: 'a' },
        runtime: { type: 'job' },
        implementation: { inline: SAMPLE_SPECS.ImplementationSpec },
      }).success,
    ).toBe(true);
    expect(ToolRunSpec.shape.runtime.unwrap()).toBe(Runtime);
  });
});

describe('supporting statuses', () => {
  const base = {
    conditions: [{ type: 'Ready', status: 'True', reason: 'Valid' }],
    observedGeneration: 2,
    updatedAt: '2026-11-25T10:00:00Z',
  };
  const PHASES: ReadonlyArray<[KindName, readonly string[]]> = [
    ['Tool', ['Ready', 'Invalid']],
    ['ToolRun', ['Pending', 'Running', 'Succeeded', 'Failed', 'Cancelled']],
    ['Signal', ['Active']],
    ['SignalDelivery', ['Invalid', 'Pending', 'Delivered']],
    ['SecretBinding', ['Ready']],
    ['Workspace', ['Ready', 'Pending', 'Failed', 'Expired']],
  ];

  it.each(SUPPORTING.map(([kind]) => kind))(
    'the %s status has phase, conditions, observedGeneration and updatedAt, and refuses an unknown phase',
    (name) => {
      const status = kindNamed(name).status;
      expect(status).toBeInstanceOf(z.ZodObject);
      expect(Object.keys((status as z.ZodObject).shape)).toEqual(
        expect.arrayContaining(['phase', 'conditions', 'observedGeneration', 'updatedAt']),
      );
      expect(status.safeParse({ ...base, phase: 'NotAPhase' }).success).toBe(false);
    },
  );

  it.each(PHASES)('the %s status accepts the phases %j', (name, phases) => {
    for (const phase of phases) expect(kindNamed(name).status.safeParse({ ...base, phase }).success, phase).toBe(true);
  });

  it('reports Budget usage with the same keys as its limits', () => {
    expect(BudgetStatus.shape.used.unwrap()).toBe(BudgetAmounts);
    expect(Object.keys(BudgetAmounts.shape).sort()).toEqual(['cpu', 'dollars', 'gpu', 'memory', 'runs', 'tokens']);
  });

  it('reports the ToolRun run id, runtime reference, start and finish', () => {
    const status = { phase: 'Succeeded', runId: 'r-1', runtimeRef: { kind: 'Job', name: 'tr-1' }, startedAt: 't0', finishedAt: 't1' };
    expect(ToolRunStatus.parse(status)).toEqual(status);
  });
});

describe('kind registry', () => {
  it('registers every kind, the five primitives first, none of the supporting ones as a run', () => {
    expect(kindNames).toEqual(['Agent', 'AgentRun', 'Memory', 'Orchestration', 'OrchestrationRun', ...SUPPORTING.map(([kind]) => kind)]);
    expect(KINDS.filter((k) => k.isRun).map((k) => k.kind)).toEqual(['AgentRun', 'OrchestrationRun']);
  });

  it.each(SUPPORTING)('serves %s in group %s at v1alpha1 as plural %s and route /v1/%s', (name, group, plural, route) => {
    const kind = kindNamed(name);
    expect(kind).toMatchObject({ group, version: 'v1alpha1', plural, singular: name.toLowerCase(), token: name.toLowerCase(), route });
    expect(kindByRoute(route)).toBe(kind);
    expect(kindByToken(name.toLowerCase())).toBe(kind);
  });

  it('gives every kind a unique route, plural, singular, token and short names across KINDS', () => {
    const unique = (values: string[]) => expect(new Set(values).size, values.join(' ')).toBe(values.length);
    unique(KINDS.flatMap((k) => [k.route, ...k.routeAliases]));
    unique(KINDS.map((k) => k.plural));
    unique(KINDS.map((k) => k.singular));
    unique(KINDS.map((k) => k.token));
    // kubectl resolves a short name against every plural and singular, so none may shadow another kind's.
    const shortNames = KINDS.flatMap((k) => k.shortNames);
    unique(shortNames);
    for (const kind of KINDS) {
      expect(kind.shortNames.length, kind.kind).toBeGreaterThan(0);
      for (const other of KINDS.filter((k) => k !== kind)) {
        for (const short of kind.shortNames) expect([other.plural, other.singular], `${kind.kind} ${short}`).not.toContain(short);
      }
    }
  });
});

describe('supporting CRDs', () => {
  const phase = { name: 'Phase', type: 'string', jsonPath: '.status.phase' };

  it('print a Phase column exactly for the kinds whose status has phase', () => {
    for (const kind of KINDS) {
      const columns = crdFor(kind).spec.versions[0]!.additionalPrinterColumns;
      const hasPhase = kind.status instanceof z.ZodObject && 'phase' in kind.status.shape;
      expect(phasesOf(kind).length > 0, kind.kind).toBe(hasPhase);
      expect(
        columns.filter((c) => c.name === 'Phase'),
        kind.kind,
      ).toEqual(hasPhase ? [phase] : []);
      expect(columns.at(-1)?.name, kind.kind).toBe('Age');
    }
    for (const [name] of SUPPORTING) expect(phasesOf(kindNamed(name)).length, name).toBeGreaterThan(0);
  });

  it("print the kind's own columns first, then Phase, then Age", () => {
    const names = (kind: string) => crdFor(kindNamed(kind)).spec.versions[0]!.additionalPrinterColumns.map((c) => c.name);
    expect(names('ToolRun')).toEqual(['Tool', 'Phase', 'Age']);
    expect(names('Schedule')).toEqual(['Cron', 'Suspend', 'Phase', 'Age']);
    expect(names('Memory')).toEqual(['Type', 'Age']);
    expect(names('SecretBinding')).toEqual(['Phase', 'Age']);
  });
});
