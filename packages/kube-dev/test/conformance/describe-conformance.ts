import { randomBytes } from 'node:crypto';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/index.js';
import { errorOf, recordWatch, waitFor } from '../support.js';
import type { SeenEvent } from '../support.js';
import { conformanceKind, minimalAgentRun } from './targets.js';
import type { ConformanceTarget, TargetSession } from './targets.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const AGENT_RUN = conformanceKind('AgentRun');
const API_VERSION = `${AGENT_RUN.group}/${AGENT_RUN.version}`;
const QUALIFIED = `${AGENT_RUN.plural}.${AGENT_RUN.group}`;
const FINALIZER = 'jangar.proompteng.ai/conformance';

interface ObjectList {
  metadata: { resourceVersion: string; continue?: string };
  items: KubeObject[];
}

interface Cause {
  reason: string;
  field: string;
  message: string;
}

let counter = 0;
/** A name no other test (or earlier run against the same cluster) uses. */
function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${randomBytes(3).toString('hex')}`;
}

/**
 * The Kubernetes API behaviour Jangar relies on, asserted through `@kubernetes/client-node`
 * against one target. Every test creates its own uniquely named objects; waits are on
 * conditions with a deadline, never on time alone.
 */
export function describeConformance(target: ConformanceTarget): void {
  describe(`Kubernetes API conformance against ${target.name}`, () => {
    // A real API server's watch cache and etcd round trips are slower than an in-process server.
    const deadline = target.kubeDev ? 5_000 : 30_000;
    let session: TargetSession;

    beforeAll(async () => {
      session = await target.start();
    });
    afterAll(async () => {
      await session?.close();
    });

    const at = () => ({ group: AGENT_RUN.group, version: AGENT_RUN.version, plural: AGENT_RUN.plural, namespace: session.namespace });
    const collectionPath = () => `/apis/${API_VERSION}/namespaces/${session.namespace}/${AGENT_RUN.plural}`;
    const create = async (body: Record<string, unknown>) =>
      (await session.api.createNamespacedCustomObject({ ...at(), body })) as KubeObject;
    const get = async (name: string) => (await session.api.getNamespacedCustomObject({ ...at(), name })) as KubeObject;
    const list = async (query: { labelSelector?: string; fieldSelector?: string; limit?: number; _continue?: string }) =>
      (await session.api.listNamespacedCustomObject({ ...at(), ...query })) as ObjectList;
    const patch = async (name: string, body: unknown) =>
      (await session.api.patchNamespacedCustomObject({ ...at(), name, body }, mergePatch)) as KubeObject;
    const gone = async (name: string) => (await errorOf(get(name))).code === 404;

    it('answers a create with 201 Created and a server-assigned uid, resourceVersion, generation 1 and creationTimestamp', async () => {
      const name = unique('create');
      const response = await session.api.createNamespacedCustomObjectWithHttpInfo({ ...at(), body: minimalAgentRun(name) });
      expect(response.httpStatusCode).toBe(201);
      const created = response.data as KubeObject;
      expect(created).toMatchObject({
        apiVersion: API_VERSION,
        kind: AGENT_RUN.kind,
        metadata: { name, namespace: session.namespace, generation: 1 },
      });
      expect(created.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(created.metadata.resourceVersion).toMatch(/^\S+$/);
      expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });

    it('returns the stored object to a get', async () => {
      const name = unique('get');
      const created = await create(minimalAgentRun(name, { labels: { role: 'read-back' } }));
      const read = await get(name);
      expect(read.metadata).toMatchObject({
        name,
        uid: created.metadata.uid,
        resourceVersion: created.metadata.resourceVersion,
        generation: 1,
        labels: { role: 'read-back' },
      });
      expect(read.spec).toEqual(created.spec);
    });

    it('answers a get of a missing object with 404 and a NotFound Status', async () => {
      const name = unique('missing');
      const missing = await errorOf(get(name));
      expect(missing.code).toBe(404);
      expect(missing.body).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'NotFound',
        code: 404,
        message: `${QUALIFIED} "${name}" not found`,
        details: { name, group: AGENT_RUN.group, kind: AGENT_RUN.plural },
      });
    });

    it('answers a create of a taken name with 409 AlreadyExists', async () => {
      const name = unique('dup');
      await create(minimalAgentRun(name));
      const dup = await errorOf(create(minimalAgentRun(name)));
      expect(dup.code).toBe(409);
      expect(dup.body).toMatchObject({
        kind: 'Status',
        reason: 'AlreadyExists',
        message: `${QUALIFIED} "${name}" already exists`,
        details: { name, group: AGENT_RUN.group, kind: AGENT_RUN.plural },
      });
    });

    it('filters a list by label selector with =, !=, in, notin, exists and !exists', async () => {
      const scope = `conformance.jangar.proompteng.ai/case=${unique('labels')}`;
      const [key, value] = scope.split('=') as [string, string];
      const make = (suffix: string, labels: Record<string, string>) =>
        create(minimalAgentRun(`${value}-${suffix}`, { labels: { [key]: value, ...labels } }));
      await make('prod-web', { env: 'prod', tier: 'web' });
      await make('dev-web', { env: 'dev', tier: 'web' });
      await make('staging', { env: 'staging' });
      await make('bare', {});
      const names = async (selector: string) =>
        (await list({ labelSelector: `${scope},${selector}` })).items.map((o) => o.metadata.name.slice(value.length + 1)).sort();

      expect(await names('env=prod')).toEqual(['prod-web']);
      expect(await names('env!=prod')).toEqual(['bare', 'dev-web', 'staging']);
      expect(await names('env in (prod,dev)')).toEqual(['dev-web', 'prod-web']);
      expect(await names('env notin (prod,dev)')).toEqual(['bare', 'staging']);
      expect(await names('tier')).toEqual(['dev-web', 'prod-web']);
      expect(await names('!tier')).toEqual(['bare', 'staging']);
    });

    it('pages a list with limit and continue, returning every item exactly once', async () => {
      const scope = unique('paged');
      const names = Array.from({ length: 7 }, (_, i) => `${scope}-${i}`);
      for (const name of names) await create(minimalAgentRun(name, { labels: { 'conformance.jangar.proompteng.ai/case': scope } }));

      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await list({
          labelSelector: `conformance.jangar.proompteng.ai/case=${scope}`,
          limit: 3,
          ...(token ? { _continue: token } : {}),
        });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((o) => o.metadata.name));
        token = page.metadata.continue || undefined;
        pages += 1;
      } while (token && pages < 20);
      expect(token).toBeUndefined();
      expect(pages).toBeGreaterThanOrEqual(3);
      expect([...seen].sort()).toEqual([...names].sort());
    });

    it('serves every page of a continued list as the collection was when the first page was served', async () => {
      const scope = unique('snapshot');
      const labelSelector = `conformance.jangar.proompteng.ai/case=${scope}`;
      const labels = { 'conformance.jangar.proompteng.ai/case': scope };
      const names = ['a', 'b', 'c', 'd'].map((s) => `${scope}-${s}`);
      for (const name of names) await create(minimalAgentRun(name, { labels }));

      const first = await list({ labelSelector, limit: 1 });
      const token = first.metadata.continue;
      expect(token).toBeTruthy();
      const remaining = names.filter((n) => !first.items.some((o) => o.metadata.name === n));
      // Between pages: an object not yet listed is deleted, another relabelled, a new one created.
      const [deleted, relabelled] = remaining as [string, string];
      await session.api.deleteNamespacedCustomObject({ ...at(), name: deleted });
      await patch(relabelled, { metadata: { labels: { late: 'label' } } });
      await create(minimalAgentRun(`${scope}-z`, { labels }));

      const pages = [first];
      for (let next = token; next && pages.length < 20;) {
        const page = await list({ labelSelector, limit: 1, _continue: next });
        pages.push(page);
        next = page.metadata.continue || undefined;
      }
      const seen = pages.flatMap((p) => p.items);
      expect(seen.map((o) => o.metadata.name).sort()).toEqual(names);
      expect(seen.find((o) => o.metadata.name === relabelled)?.metadata.labels).toEqual(labels);
      for (const page of pages) expect(page.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    });

    it('answers 409 Conflict to a replace with a stale resourceVersion', async () => {
      const name = unique('stale');
      const original = await create(minimalAgentRun(name));
      await patch(name, { metadata: { labels: { touched: 'yes' } } });
      const stale = await errorOf(session.api.replaceNamespacedCustomObject({ ...at(), name, body: original }));
      expect(stale.code).toBe(409);
      expect(stale.body).toMatchObject({
        kind: 'Status',
        reason: 'Conflict',
        details: { name, group: AGENT_RUN.group, kind: AGENT_RUN.plural },
      });
      expect(stale.body.message).toBe(
        `Operation cannot be fulfilled on ${QUALIFIED} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    });

    it('bumps metadata.generation for a JSON merge patch that changes the spec but not for a label-only patch', async () => {
      const name = unique('generation');
      const created = await create(minimalAgentRun(name));
      const labelled = await patch(name, { metadata: { labels: { only: 'labels' } } });
      expect(labelled.metadata.generation).toBe(1);
      expect(labelled.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
      const specced = await patch(name, { spec: { idempotencyKey: 'changed' } });
      expect(specced.metadata.generation).toBe(2);
      expect((specced.spec as { idempotencyKey?: string }).idempotencyKey).toBe('changed');
      expect(specced.metadata.labels).toEqual({ only: 'labels' });
    });

    it('keeps spec out of status subresource writes and status out of main resource writes', async () => {
      const name = unique('status');
      const created = await create({ ...minimalAgentRun(name), status: { phase: 'Succeeded' } });
      expect(created.status).toBeUndefined();

      const withStatus = (await session.api.patchNamespacedCustomObjectStatus(
        { ...at(), name, body: { status: { phase: 'Running' }, spec: { idempotencyKey: 'via-status' } } },
        mergePatch,
      )) as KubeObject;
      expect(withStatus.status).toMatchObject({ phase: 'Running' });
      expect(withStatus.spec).toEqual(created.spec);
      expect(withStatus.metadata.generation).toBe(1);

      const replaced = (await session.api.replaceNamespacedCustomObject({
        ...at(),
        name,
        body: { ...withStatus, spec: { ...(withStatus.spec as object), idempotencyKey: 'via-main' }, status: { phase: 'Failed' } },
      })) as KubeObject;
      expect(replaced.status).toMatchObject({ phase: 'Running' });
      expect((replaced.spec as { idempotencyKey?: string }).idempotencyKey).toBe('via-main');
      expect(replaced.metadata.generation).toBe(2);
    });

    it('holds a deleted object with a finalizer, marked with deletionTimestamp, until the finalizer is removed', async () => {
      const name = unique('finalized');
      await create(minimalAgentRun(name, { finalizers: [FINALIZER] }));
      const marked = (await session.api.deleteNamespacedCustomObject({ ...at(), name })) as KubeObject;
      expect(marked.metadata.name).toBe(name);
      expect(marked.metadata.deletionTimestamp).toMatch(/Z$/);
      // Being deleted is a change of desired state: the generation moves.
      expect(marked.metadata.generation).toBe(2);

      const held = await get(name);
      expect(held.metadata.deletionTimestamp).toBe(marked.metadata.deletionTimestamp);
      expect(held.metadata.finalizers).toEqual([FINALIZER]);

      await patch(name, { metadata: { finalizers: null } });
      await waitFor(() => gone(name), `${name} to be removed once its finalizer is`, deadline);
    });

    it('answers a delete that removes the object at once with a Success Status', async () => {
      const name = unique('deleted');
      const created = await create(minimalAgentRun(name));
      const status = await session.api.deleteNamespacedCustomObject({ ...at(), name });
      expect(status).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Success',
        details: { name, group: AGENT_RUN.group, kind: AGENT_RUN.plural, uid: created.metadata.uid },
      });
      expect(await gone(name)).toBe(true);
    });

    it('delivers ADDED, MODIFIED and DELETED in order to a watch from a resourceVersion', async () => {
      const name = unique('watched');
      const fieldSelector = `metadata.name=${name}`;
      const from = (await list({ fieldSelector })).metadata.resourceVersion;
      const created = await create(minimalAgentRun(name));
      // The ADDED happened before the watch started: it must be replayed from `from`.
      const watch = await recordWatch(session.kc, collectionPath(), { resourceVersion: from, fieldSelector });
      try {
        await waitFor(() => watch.events.length >= 1, 'the replayed ADDED', deadline);
        const modified = await patch(name, { metadata: { labels: { step: 'modified' } } });
        await session.api.deleteNamespacedCustomObject({ ...at(), name });
        await waitFor(() => watch.events.some((e) => e.type === 'DELETED'), 'the DELETED event', deadline);

        expect(watch.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
          `ADDED ${name}`,
          `MODIFIED ${name}`,
          `DELETED ${name}`,
        ]);
        const [added, changed, deleted] = watch.events as [SeenEvent, SeenEvent, SeenEvent];
        expect(added.object.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
        expect(changed.object.metadata.resourceVersion).toBe(modified.metadata.resourceVersion);
        expect(changed.object.metadata.labels).toEqual({ step: 'modified' });
        expect(deleted.object.metadata.uid).toBe(created.metadata.uid);
      } finally {
        watch.stop();
      }
    });

    it('answers a watch from an expired resourceVersion with 410 Gone', async () => {
      const expiredRv = await session.expiredResourceVersion();
      const watch = await recordWatch(session.kc, collectionPath(), { resourceVersion: expiredRv });
      let ended: unknown = 'open';
      void watch.ended.then((err) => (ended = err));
      try {
        // kube-apiserver reports it in the stream (an ERROR event carrying a 410 Status) or, on
        // some paths, as the HTTP status of the watch request itself.
        await waitFor(() => watch.events.some((e) => e.type === 'ERROR') || ended !== 'open', 'the 410', deadline);
        const error = watch.events.find((e) => e.type === 'ERROR');
        if (error) {
          expect(error.object).toMatchObject({ kind: 'Status', status: 'Failure', code: 410 });
          expect(['Expired', 'Gone']).toContain(error.object.reason);
          expect(watch.events.filter((e) => e.type !== 'ERROR' && e.type !== 'BOOKMARK')).toEqual([]);
        } else {
          expect((ended as { statusCode?: number } | null)?.statusCode).toBe(410);
        }
      } finally {
        watch.stop();
      }
    });

    it('sends a watch that allows bookmarks BOOKMARK events that carry only a resourceVersion', async () => {
      const name = unique('bookmarked');
      const watch = await recordWatch(session.kc, collectionPath(), { allowWatchBookmarks: true, fieldSelector: `metadata.name=${name}` });
      try {
        await create(minimalAgentRun(name));
        await waitFor(() => watch.events.some((e) => e.type === 'ADDED'), 'the ADDED event', deadline);
        if (target.kubeDev) {
          // kube-dev sends one every bookmarkIntervalMs. A real API server sends them when it
          // chooses (about once a minute, best effort), so there only their shape is checked.
          await waitFor(() => watch.events.some((e) => e.type === 'BOOKMARK'), 'a BOOKMARK', deadline);
        }
      } finally {
        watch.stop();
      }
      for (const bookmark of watch.events.filter((e) => e.type === 'BOOKMARK')) {
        expect(bookmark.object).toMatchObject({ kind: AGENT_RUN.kind, apiVersion: API_VERSION });
        expect(bookmark.object.metadata.resourceVersion).toMatch(/^\S+$/);
        expect(bookmark.object.metadata.name ?? '').toBe('');
        expect(bookmark.object.spec).toBeUndefined();
      }
    });

    it('answers 422 Invalid naming the field when a required spec field is missing', async () => {
      const name = unique('invalid-required');
      const body = minimalAgentRun(name, { spec: { agentRef: { name: 'agent' }, implementation: { inline: { text: 'no runtime' } } } });
      const err = await errorOf(create(body));
      expect(err.code).toBe(422);
      expect(err.body).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'Invalid',
        details: { name, group: AGENT_RUN.group, kind: AGENT_RUN.kind },
      });
      expect(err.body.details?.causes as Cause[]).toContainEqual({
        reason: 'FieldValueRequired',
        field: 'spec.runtime',
        message: 'Required value',
      });
      expect(err.body.message).toContain(`${AGENT_RUN.kind}.${AGENT_RUN.group} "${name}" is invalid: `);
      expect(err.body.message).toContain('spec.runtime: Required value');
      expect(await gone(name)).toBe(true);
    });

    it('answers 422 Invalid naming the field when an enum field has an unsupported value', async () => {
      const name = unique('invalid-enum');
      const body = minimalAgentRun(name, {
        spec: { agentRef: { name: 'agent' }, runtime: { type: 'teleport' }, implementation: { inline: { text: 'bad runtime' } } },
      });
      const err = await errorOf(create(body));
      expect(err.code).toBe(422);
      expect(err.body).toMatchObject({ reason: 'Invalid', details: { name, kind: AGENT_RUN.kind } });
      const cause = (err.body.details?.causes as Cause[]).find((c) => c.field === 'spec.runtime.type');
      expect(cause).toMatchObject({ reason: 'FieldValueNotSupported' });
      expect(cause?.message).toMatch(/^Unsupported value: "teleport": supported values: "workflow", "job"/);
      expect(err.body.message).toContain('spec.runtime.type: Unsupported value: "teleport"');
    });

    it('prunes fields the schema does not declare instead of rejecting them', async () => {
      const name = unique('pruned');
      const body = minimalAgentRun(name);
      (body.spec as Record<string, unknown>).undeclaredField = { keep: 'out' };
      const created = await create({ ...body, undeclaredTopLevel: true });
      expect(created.spec).not.toHaveProperty('undeclaredField');
      expect(created).not.toHaveProperty('undeclaredTopLevel');
      expect((await get(name)).spec).not.toHaveProperty('undeclaredField');
    });
  });
}
