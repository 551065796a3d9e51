import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/index.js';
import { applyJsonPatch, mergePatch } from '../src/patch.js';

describe('mergePatch (RFC 7386)', () => {
  it('merges objects, deletes nulls and replaces arrays and scalars', () => {
    const target = { a: { b: 1, c: 2 }, list: [1, 2], keep: true };
    expect(mergePatch(target, { a: { b: null, d: 3 }, list: [3], s: 'x' })).toEqual({ a: { c: 2, d: 3 }, list: [3], keep: true, s: 'x' });
    expect(target).toEqual({ a: { b: 1, c: 2 }, list: [1, 2], keep: true });
    expect(mergePatch({ a: 1 }, [1])).toEqual([1]);
    expect(mergePatch('scalar', { a: { b: null } })).toEqual({ a: {} });
  });
});

describe('applyJsonPatch (RFC 6902)', () => {
  const doc = { spec: { list: ['a', 'b'], name: 'n' }, 'we/ird~key': 1 };

  it('applies add, remove, replace, move, copy and test without touching the input', () => {
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/spec/list/-', value: 'c' },
      { op: 'add', path: '/spec/list/0', value: 'z' },
      { op: 'remove', path: '/spec/list/1' },
      { op: 'replace', path: '/spec/name', value: 'm' },
      { op: 'copy', from: '/spec/name', path: '/copied' },
      { op: 'move', from: '/we~1ird~0key', path: '/moved' },
      { op: 'test', path: '/moved', value: 1 },
    ]);
    expect(out).toEqual({ spec: { list: ['z', 'b', 'c'], name: 'm' }, copied: 'm', moved: 1 });
    expect(doc.spec.list).toEqual(['a', 'b']);
  });

  it('fails a test operation and a path that does not exist', () => {
    expect(() => applyJsonPatch(doc, [{ op: 'test', path: '/spec/name', value: 'other' }])).toThrow(ApiError);
    expect(() => applyJsonPatch(doc, [{ op: 'replace', path: '/spec/missing', value: 1 }])).toThrow(/does not exist/);
    expect(() => applyJsonPatch(doc, [{ op: 'remove', path: '/spec/list/5' }])).toThrow(/out of range/);
  });
});
