import { describe, expect, it } from 'vitest';
import { ObjectStore, ResourceRegistry, PROVIDER_RESOURCES, ApiError } from '../src/index.js';
import type { StoreEvent } from '../src/index.js';
import { compileFilter } from '../src/selectors.js';

const registry = new ResourceRegistry(PROVIDER_RESOURCES);
const job = registry.find('batch', 'v1', 'jobs')!;
const workflow = registry.find('argoproj.io', 'v1alpha1', 'workflows')!;

function jobBody(name: string, labels?: Record<string, string>) {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name, labels }, spec: { parallelism: 1 } };
}

describe('ObjectStore', () => {
  it('bumps one global resourceVersion across resources and delivers events in order', () => {
    const store = new ObjectStore();
    const events: StoreEvent[] = [];
    store.subscribe((e) => events.push(e));
    store.create(job, 'a', jobBody('j1'));
    store.create(workflow, 'a', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'w1' } });
    store.update(job, 'a', 'j1', jobBody('j1', { x: 'y' }));
    store.delete(job, 'a', 'j1');
    expect(events.map((e) => `${e.rv} ${e.type} ${e.object.kind}`)).toEqual([
      '1 ADDED Job',
      '2 ADDED Workflow',
      '3 MODIFIED Job',
      '4 DELETED Job',
    ]);
    expect(events[3]?.object.metadata.resourceVersion).toBe('4');
    expect(store.resourceVersion).toBe(4);
  });

  it('lets built-in types update without a resourceVersion', () => {
    const store = new ObjectStore();
    store.create(job, 'a', jobBody('j'));
    expect(store.update(job, 'a', 'j', jobBody('j', { a: 'b' })).metadata.labels).toEqual({ a: 'b' });
    expect(() => store.update(workflow, 'a', 'nope', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: {} })).toThrow(
      ApiError,
    );
  });

  it('delivers writes made by a listener after the event that caused them', () => {
    const store = new ObjectStore();
    const seen: string[] = [];
    store.subscribe((e) => {
      if (e.type === 'ADDED' && e.object.metadata.name === 'first') store.create(job, 'a', jobBody('second'));
    });
    store.subscribe((e) => seen.push(`${e.rv} ${e.object.metadata.name}`));
    store.create(job, 'a', jobBody('first'));
    expect(seen).toEqual(['1 first', '2 second']);
  });

  it('expires resumption from before the retained window', () => {
    const store = new ObjectStore({ eventLogSize: 2 });
    for (let i = 0; i < 4; i++) store.create(job, 'a', jobBody(`j${i}`));
    expect(store.eventsSince(1)).toBeUndefined();
    expect(store.eventsSince(2)?.map((e) => e.rv)).toEqual([3, 4]);
    expect(store.eventsSince(4)).toEqual([]);
  });

  // How fast this is at 100k objects is a benchmark's question; the test checks the answers.
  it('lists many objects by label selector and by page', () => {
    const store = new ObjectStore({ eventLogSize: 1000 });
    for (let i = 0; i < 20_000; i++) {
      store.create(job, `ns-${i % 10}`, jobBody(`job-${String(i).padStart(6, '0')}`, { shard: String(i % 100) }));
    }
    const filter = compileFilter(job, 'shard in (7,42)', null);
    const matched = [...store.scan(job)].filter(([, o]) => filter(o));
    expect(matched).toHaveLength(400);
    const page = [...store.scan(job, { namespace: 'ns-3', afterKey: 'ns-3\u0000job-010003' })].slice(0, 3);
    expect(page.map(([, o]) => o.metadata.name)).toEqual(['job-010013', 'job-010023', 'job-010033']);
  });
});
