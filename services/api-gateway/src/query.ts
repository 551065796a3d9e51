import type { z } from 'zod';
import { fieldErrorsFromZod, LabelSelectorError, parseLabelSelector } from '@jangar/contracts';
import { DomainError } from '@jangar/service-kit';

/** Validates a query string against a contract schema; failures are 400 with `query.`-prefixed paths. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const parsed = schema.safeParse(query);
  if (!parsed.success)
    throw new DomainError('validation_failed', 'the query is not valid', { errors: fieldErrorsFromZod(parsed.error, ['query']) });
  return parsed.data;
}

/** Refuses a malformed `labelSelector` with `invalid_label_selector`, naming the requirement that failed. */
export function checkLabelSelector(selector: string | undefined): void {
  if (selector === undefined) return;
  try {
    parseLabelSelector(selector);
  } catch (err) {
    if (!(err instanceof LabelSelectorError)) throw err;
    throw new DomainError('invalid_label_selector', err.message, { errors: [{ path: 'query.labelSelector', message: err.message }] });
  }
}
