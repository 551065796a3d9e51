import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@jangar/stack';
import { parseBenchOptions } from '../../scripts/bench/options.js';
import { mergeServiceEnv, profileEnv, summarizeProfile, type CpuProfile } from '../../scripts/bench/profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// Four sampled nodes: 50 % idle, 30 % a socket write, 15 % zod, 5 % GC.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)') },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('writeBuffer') },
    { id: 4, callFrame: frame('parse', `file://${REPO_ROOT}/node_modules/zod/v4/core/parse.js`, 9) },
    { id: 5, callFrame: frame('(garbage collector)') },
  ],
  samples: [2, 3, 4, 2, 3, 5, 3, 2, 4, 2],
  timeDeltas: [500, 300, 150, 500, 300, 500, 300, 500, 150, 3000],
};

describe('a CPU profile summary', () => {
  it('gives self time by function and by package as shares of the time sampled, the largest first', () => {
    const s = summarizeProfile(profile);
    expect(s.sampledMs).toBe(6);
    expect(s.idle).toBeCloseTo(4500 / 6200, 3);
    expect(s.garbageCollector).toBeCloseTo(500 / 6200, 3);
    expect(s.functions.map((f) => [f.name, f.where])).toEqual([
      ['(idle)', '(V8 and native)'],
      ['writeBuffer', '(V8 and native)'],
      ['(garbage collector)', '(V8 and native)'],
      ['parse', 'zod:10'],
    ]);
    expect(s.packages).toEqual([
      { name: '(V8 and native)', share: expect.closeTo(5900 / 6200, 3) as number },
      { name: 'zod', share: expect.closeTo(300 / 6200, 3) as number },
    ]);
  });

  it('keeps only the largest entries', () => {
    expect(summarizeProfile(profile, 2).functions).toHaveLength(2);
  });
});

describe('profiling a service', () => {
  it('makes the chosen services load the profiler, naming their profiles by phase and service', () => {
    const env = profileEnv(['api-gateway'], '/tmp/p', 'ceiling', undefined);
    expect(env).toEqual({
      'api-gateway': {
        NODE_OPTIONS: `--import=${path.join(REPO_ROOT, 'scripts', 'bench', 'profiler.mjs')}`,
        JANGAR_PROFILE_DIR: '/tmp/p',
        JANGAR_PROFILE_NAME: 'ceiling-api-gateway',
      },
    });
    expect(profileEnv(['api-gateway'], '/tmp/p', 'ceiling', '--enable-source-maps')['api-gateway']?.NODE_OPTIONS).toBe(
      `--enable-source-maps --import=${path.join(REPO_ROOT, 'scripts', 'bench', 'profiler.mjs')}`,
    );
    expect(mergeServiceEnv({ 'api-gateway': { JANGAR_WAIT_MS: '0' } }, env)['api-gateway']).toMatchObject({
      JANGAR_WAIT_MS: '0',
      JANGAR_PROFILE_NAME: 'ceiling-api-gateway',
    });
  });

  it('takes only service names on --profile', () => {
    expect(parseBenchOptions(['--profile', 'api-gateway,policy'])).toMatchObject({ profile: ['api-gateway', 'policy'] });
    expect(parseBenchOptions([])).toMatchObject({ profile: [] });
    expect(() => parseBenchOptions(['--profile', 'gateway'])).toThrow(/--profile takes .*api-gateway.*not "gateway"/);
  });
});
