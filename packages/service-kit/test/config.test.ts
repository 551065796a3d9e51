import { describe, expect, it } from 'vitest';
import { ConfigError, DatabaseConfig, loadConfig, poolOptions } from '../src/config.js';

describe('the database pool settings', () => {
  it('keep four connections open and allow ten by default', () => {
    expect(poolOptions(loadConfig(DatabaseConfig, { DATABASE_URL: 'postgres://db/jangar' }))).toEqual({ poolMin: 4, poolMax: 10 });
  });

  it('keep no more open than the maximum allows when only the maximum is set', () => {
    expect(poolOptions(loadConfig(DatabaseConfig, { DATABASE_URL: 'postgres://db/jangar', JANGAR_DB_POOL_MAX: '2' }))).toEqual({
      poolMin: 2,
      poolMax: 2,
    });
  });

  it('refuse a minimum above the maximum, naming both variables', () => {
    const config = loadConfig(DatabaseConfig, { DATABASE_URL: 'postgres://db/jangar', JANGAR_DB_POOL_MIN: '12', JANGAR_DB_POOL_MAX: '8' });
    expect(() => poolOptions(config)).toThrow(ConfigError);
    expect(() => poolOptions(config)).toThrow(/JANGAR_DB_POOL_MIN: 12 is more than JANGAR_DB_POOL_MAX \(8\)/);
  });

  it('refuse a size that is not a whole number', () => {
    expect(() => loadConfig(DatabaseConfig, { DATABASE_URL: 'postgres://db/jangar', JANGAR_DB_POOL_MAX: 'ten' })).toThrow(/JANGAR_DB_POOL_MAX/);
  });
});
