import { stringify } from 'yaml';

/** A value as block YAML, keys in the order the API sent them, long strings never folded. */
export function toYaml(value: unknown): string {
  if (value === undefined) return '';
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}
