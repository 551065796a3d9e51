import { describe, expect, it } from 'vitest';
import { kbField } from '../../scripts/bench/rss.js';

const STATUS = ['Name:\tnode', 'VmPeak:\t 1234567 kB', 'VmRSS:\t  184320 kB', 'RssAnon:\t  150000 kB', 'Threads:\t11'].join('\n');

describe('reading /proc memory fields', () => {
  it('reads a field of /proc/<pid>/status in kB', () => {
    expect(kbField(STATUS, 'VmRSS')).toBe(184320);
    expect(kbField(STATUS, 'RssAnon')).toBe(150000);
  });

  it('matches the whole field name, not a prefix of another', () => {
    expect(kbField('VmRSSx:\t 1 kB\nPss:  77 kB', 'VmRSS')).toBeUndefined();
    expect(kbField('Pss_Anon:   5 kB\nPss:   77 kB', 'Pss')).toBe(77);
  });

  it('gives undefined for a field the process does not have (a kernel thread has no VmRSS)', () => {
    expect(kbField('Name:\tkthreadd\nThreads:\t1', 'VmRSS')).toBeUndefined();
  });
});
