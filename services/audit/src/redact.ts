/** Keys whose values are secret material, wherever they appear in a request. */
const SECRET_KEY = /(secret|token|password|passwd|credential|api[-_]?key|private[-_]?key|authorization)/i;

export const REDACTED = '[redacted]';

/**
 * A copy of a request body fit for the audit log: values under secret-looking keys are replaced,
 * as are `value`s of `{ name, value }` pairs (env entries) whose name looks secret. Names of
 * referenced Secrets stay: they are identifiers, not secret material.
 */
export function redact(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return key === 'secrets' ? value : value.map((v) => redact(v));
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const namedSecret = typeof obj.name === 'string' && 'value' in obj && SECRET_KEY.test(obj.name);
    return Object.fromEntries(
      Object.entries(obj).map(([k, v]) => {
        if (namedSecret && k === 'value') return [k, REDACTED];
        if (SECRET_KEY.test(k) && k !== 'secrets' && k !== 'secretRef' && (typeof v === 'string' || typeof v === 'number'))
          return [k, REDACTED];
        return [k, redact(v, k)];
      }),
    );
  }
  return value;
}
