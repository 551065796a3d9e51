import type { StatusCause } from './api-error.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** True for a DNS-1123 subdomain, the form of object names. */
export function isDnsSubdomain(value: string): boolean {
  return value.length > 0 && value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

/** True for a DNS-1123 label, the form of namespace names. */
export function isDnsLabel(value: string): boolean {
  return value.length > 0 && value.length <= 63 && DNS_LABEL.test(value);
}

/** True for a label key: `[dns-subdomain/]name`, name at most 63 characters. */
export function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash !== -1 && !isDnsSubdomain(key.slice(0, slash))) return false;
  const name = slash === -1 ? key : key.slice(slash + 1);
  return name.length > 0 && name.length <= 63 && LABEL_NAME.test(name);
}

/** True for a label value: empty, or at most 63 characters, alphanumeric at both ends. */
export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && LABEL_NAME.test(value));
}

function invalidValue(field: string, value: string, why: string): StatusCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` };
}

/** Field errors in an object's name and labels, worded as kube-apiserver words them. */
export function validateMeta(meta: { name: string; labels?: Record<string, string> }): StatusCause[] {
  const causes: StatusCause[] = [];
  if (meta.name === '') {
    causes.push({ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
  } else if (!isDnsSubdomain(meta.name)) {
    causes.push(
      invalidValue(
        'metadata.name',
        meta.name,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ),
    );
  }
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    if (!isLabelKey(key))
      causes.push(
        invalidValue(
          'metadata.labels',
          key,
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      );
    if (!isLabelValue(value))
      causes.push(
        invalidValue(
          'metadata.labels',
          value,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      );
  }
  return causes;
}
