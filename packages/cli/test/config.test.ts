import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configPath, DEFAULT_SERVER, readConfig, resolveSettings, writeConfig } from '../src/config.js';
import { UsageError } from '../src/errors.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'jangar-cli-config-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('settings', () => {
  const file = { server: 'http://file:8080', token: 'file-token', namespace: 'file-ns' };
  const env = { JANGAR_URL: 'http://env:8080/', JANGAR_TOKEN: 'env-token', JANGAR_NAMESPACE: 'env-ns' };

  it('take flags over the environment over the config file', () => {
    expect(resolveSettings({}, {}, file)).toEqual({ server: 'http://file:8080', token: 'file-token', namespace: 'file-ns' });
    expect(resolveSettings({}, env, file)).toEqual({ server: 'http://env:8080', token: 'env-token', namespace: 'env-ns' });
    expect(resolveSettings({ server: 'https://flag', token: 'flag-token' }, env, file)).toMatchObject({
      server: 'https://flag',
      token: 'flag-token',
    });
    expect(resolveSettings({}, { JANGAR_URL: '' }, {})).toEqual({ server: DEFAULT_SERVER, token: undefined, namespace: undefined });
  });

  it('refuse a server that is no http URL', () => {
    expect(() => resolveSettings({ server: 'localhost:8080' }, {}, {})).toThrow(UsageError);
    expect(() => resolveSettings({ server: 'not a url' }, {}, {})).toThrow(UsageError);
  });

  it('find the file at $JANGAR_CONFIG, else under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(configPath({ JANGAR_CONFIG: '/x/c.json' })).toBe('/x/c.json');
    expect(configPath({ XDG_CONFIG_HOME: '/xdg' })).toBe('/xdg/jangar/config.json');
    expect(configPath({})).toBe(path.join(os.homedir(), '.config', 'jangar', 'config.json'));
  });
});

describe('the config file', () => {
  it('is written with mode 0600 in a 0700 directory and read back', async () => {
    const file = path.join(dir, 'nested', 'config.json');
    await writeConfig(file, { server: 'http://s', token: 't' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(await readConfig(file)).toEqual({ server: 'http://s', token: 't' });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ server: 'http://s', token: 't' });
  });

  it('is empty when missing, and a usage error when it is not a JSON object', async () => {
    expect(await readConfig(path.join(dir, 'missing.json'))).toEqual({});
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{ nope');
    await expect(readConfig(bad)).rejects.toThrow(UsageError);
    await writeFile(bad, '[1]');
    await expect(readConfig(bad)).rejects.toThrow(/must hold a JSON object/);
  });
});
