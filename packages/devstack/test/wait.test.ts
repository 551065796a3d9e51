import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { freePort, waitFor } from '../src/index.js';

describe('waitFor', () => {
  test('resolves with the first value the probe yields', async () => {
    let calls = 0;
    const value = await waitFor('the third call', async () => (++calls >= 3 ? `call ${calls}` : undefined), {
      intervalMs: 5,
      timeoutMs: 1_000,
    });
    expect(value).toBe('call 3');
  });

  test('keeps polling through thrown errors and false', async () => {
    let calls = 0;
    const value = await waitFor(
      'a flaky probe',
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('not yet');
        if (calls === 2) return false;
        return 0; // falsy but a real value
      },
      { intervalMs: 5, timeoutMs: 1_000 },
    );
    expect(value).toBe(0);
  });

  test('rejects after the deadline naming what it waited for and the last error', async () => {
    await expect(
      waitFor(
        'the moon to turn blue',
        async () => {
          throw new Error('still grey');
        },
        { timeoutMs: 100, intervalMs: 10 },
      ),
    ).rejects.toThrow(/Timed out after \d+ ms .*waiting for the moon to turn blue; last error: still grey/);
  });

  test('names the cause of the last error, as a fetch that could not connect has it', async () => {
    const port = await freePort();
    await expect(
      waitFor('a server that is not there', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
        timeoutMs: 100,
        intervalMs: 10,
      }),
    ).rejects.toThrow(/last error: fetch failed \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/);
  });

  test('does not let a hanging probe hold it past the deadline', async () => {
    await expect(waitFor('a probe that never settles', () => new Promise<boolean>(() => undefined), { timeoutMs: 100 })).rejects.toThrow(
      /a probe that never settles; last error: probe did not settle/,
    );
  });

  test('gives up at once when its signal is aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('the process exited')), 20);
    await expect(
      waitFor('something', async () => undefined, { timeoutMs: 10_000, intervalMs: 5, signal: controller.signal }),
    ).rejects.toThrow('Gave up waiting for something: the process exited');
  });
});

describe('freePort', () => {
  test('returns a port that can be bound right away', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
