import { describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH } from '../src/chain.js';
import { REDACTED, redact } from '../src/redact.js';

describe('redaction', () => {
  it('hides values under secret-looking keys and secret env values, keeping Secret names', () => {
    const spec = {
      secrets: ['github-token'],
      runtime: { config: { apiKey: 'sk-live-123', endpoint: 'http://x', nested: { password: 'hunter2' } } },
      env: [
        { name: 'OPENAI_API_KEY', value: 'sk-abc' },
        { name: 'LOG_LEVEL', value: 'debug' },
      ],
    };
    const out = JSON.stringify(redact(spec));
    for (const secret of ['sk-live-123', 'hunter2', 'sk-abc']) expect(out).not.toContain(secret);
    expect(redact(spec)).toMatchObject({
      secrets: ['github-token'],
      runtime: { config: { apiKey: REDACTED, endpoint: 'http://x', nested: { password: REDACTED } } },
      env: [
        { name: 'OPENAI_API_KEY', value: REDACTED },
        { name: 'LOG_LEVEL', value: 'debug' },
      ],
    });
  });
});

describe('the audit hash chain', () => {
  const content = {
    id: 'e1',
    dedupId: 'd1',
    occurredAt: '2026-11-25T00:00:00.000Z',
    actor: 'alice',
    action: 'agentrun.create',
    resourceKind: 'AgentRun',
    namespace: 'ns',
    name: 'r',
    uid: 'u',
    resourceId: 'id',
    deliveryId: 'k',
    correlationId: 'c',
    traceId: null,
    decision: 'allow',
    outcome: 'created',
    summary: { b: 1, a: 2 },
  };

  it('is stable under key order and changes with any field or predecessor', () => {
    const h = chainHash(GENESIS_HASH, content);
    expect(chainHash(GENESIS_HASH, { ...content, summary: { a: 2, b: 1 } })).toBe(h);
    expect(chainHash(GENESIS_HASH, { ...content, actor: 'mallory' })).not.toBe(h);
    expect(chainHash(h, content)).not.toBe(h);
  });
});
