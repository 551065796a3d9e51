import { describe, expect, it } from 'vitest';
import { ageOf } from '../src/lib/age.js';
import { isSystemLabel } from '../src/lib/labels.js';
import { phaseStyle } from '../src/lib/phase.js';
import { diffRevisions } from '../src/lib/revision-diff.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');

describe('ages', () => {
  it('reads like kubectl: seconds, minutes, hours, days', () => {
    expect(ageOf('2026-11-25T11:59:18Z', NOW)).toBe('42s');
    expect(ageOf('2026-11-25T11:53:00Z', NOW)).toBe('7m');
    expect(ageOf('2026-11-25T09:00:00Z', NOW)).toBe('3h');
    expect(ageOf('2026-11-13T12:00:00Z', NOW)).toBe('12d');
  });

  it('shows a dash for a missing, unreadable or future time', () => {
    expect(ageOf(undefined, NOW)).toBe('-');
    expect(ageOf('not a date', NOW)).toBe('-');
    expect(ageOf('2026-11-26T00:00:00Z', NOW)).toBe('-');
  });
});

describe('phase badges', () => {
  it('give every phase a tone, an icon and its text, so colour is never the only signal', () => {
    expect(phaseStyle('Succeeded')).toEqual({ tone: 'success', icon: '✔', text: 'Succeeded' });
    expect(phaseStyle('Failed')).toMatchObject({ tone: 'danger', text: 'Failed' });
    expect(phaseStyle('Running')).toMatchObject({ tone: 'accent', text: 'Running' });
    expect(phaseStyle('Pending')).toMatchObject({ tone: 'warning', text: 'Pending' });
    expect(phaseStyle('Cancelled')).toMatchObject({ tone: 'muted', text: 'Cancelled' });
    expect(phaseStyle(undefined)).toEqual({ tone: 'muted', icon: '–', text: 'Unknown' });
  });
});

describe('revision diffs', () => {
  const rev = (generation: number, model: string, labels: Record<string, string> = {}) => ({
    generation,
    resourceVersion: String(generation),
    spec: { providerRef: { name: 'codex' }, config: { model } },
    labels,
    actor: 'dev',
    deliveryId: `d-${generation}`,
    occurredAt: '2026-11-25T12:00:00Z',
  });

  it('marks the lines a change removed and added, the rest unchanged', () => {
    const lines = diffRevisions(rev(1, 'small'), rev(2, 'large', { tier: 'gold' }));
    expect(lines.filter((l) => l.kind === 'removed').map((l) => l.text.trim())).toEqual(expect.arrayContaining(['model: small']));
    expect(lines.filter((l) => l.kind === 'added').map((l) => l.text.trim())).toEqual(expect.arrayContaining(['model: large', 'tier: gold']));
    expect(lines.some((l) => l.kind === 'same' && l.text.trim() === 'name: codex')).toBe(true);
  });

  it('has no changed lines between equal revisions', () => {
    expect(diffRevisions(rev(1, 'a'), rev(2, 'a')).every((l) => l.kind === 'same')).toBe(true);
  });
});

describe('system labels', () => {
  it('are the ones Jangar writes, not the ones people chose', () => {
    expect(isSystemLabel('jangar.proompteng.ai/id')).toBe(true);
    expect(isSystemLabel('app.kubernetes.io/managed-by')).toBe(true);
    expect(isSystemLabel('app')).toBe(false);
    expect(isSystemLabel('app.kubernetes.io/name')).toBe(false);
  });
});
