import { InvalidArgumentError, Option } from 'commander';
import { OUTPUT_FORMATS } from '../output/print.js';

/** A positive integer option value. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export const namespaceOption = () =>
  new Option('-n, --namespace <namespace>', "the namespace (default: $JANGAR_NAMESPACE, the config file's, else see below)");
export const allNamespacesOption = () => new Option('-A, --all-namespaces', 'every namespace the token may read');
export const outputOption = (formats: readonly string[] = OUTPUT_FORMATS) =>
  new Option('-o, --output <format>', 'output format').choices(formats).default('table');
