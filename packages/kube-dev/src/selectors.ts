import { LabelSelectorError, matchesLabelSelector, parseLabelSelector } from '@jangar/contracts';
import type { LabelRequirement } from '@jangar/contracts';
import { badRequest } from './api-error.js';
import type { ResourceDefinition } from './resources.js';
import type { KubeObject } from './types.js';

/** One `field=value` / `field!=value` clause of a field selector. */
export interface FieldRequirement {
  field: string;
  negate: boolean;
  value: string;
}

/** Decides whether an object is selected by a request's label and field selectors. */
export type ObjectFilter = (obj: KubeObject) => boolean;

const ALWAYS_SELECTABLE = ['metadata.name', 'metadata.namespace'];

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + (text[i + 1] as string);
      i++;
    } else if (ch === separator) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

/** Parses `a=b,c!=d` (with `\` escapes) into requirements; malformed input is a 400. */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  if (selector.trim() === '') return [];
  return splitUnescaped(selector, ',').map((term) => {
    const match = /^((?:[^\\=!]|\\.)+?)\s*(!=|==|=)(.*)$/.exec(term.trim());
    if (!match) throw badRequest(`invalid field selector: '${term}': no operator`);
    const [, field = '', op, value = ''] = match;
    return { field: unescape(field), negate: op === '!=', value: unescape(value) };
  });
}

function fieldValue(obj: KubeObject, path: string): string {
  let cursor: unknown = obj;
  for (const part of path.split('.')) {
    if (cursor === null || typeof cursor !== 'object') return '';
    cursor = (cursor as Record<string, unknown>)[part];
  }
  if (cursor === undefined || cursor === null) return '';
  return typeof cursor === 'object' ? JSON.stringify(cursor) : String(cursor);
}

/** Compiles the `labelSelector` and `fieldSelector` query parameters; malformed input is a 400. */
export function compileFilter(res: ResourceDefinition, labelSelector: string | null, fieldSelector: string | null): ObjectFilter {
  let labels: LabelRequirement[];
  try {
    labels = parseLabelSelector(labelSelector ?? '');
  } catch (err) {
    // kube-apiserver answers an unparsable selector with a 400 Status carrying the parser's message.
    if (err instanceof LabelSelectorError) throw badRequest(err.message);
    throw err;
  }
  const fields = parseFieldSelector(fieldSelector ?? '');
  const selectable = [...ALWAYS_SELECTABLE, ...(res.selectableFields ?? [])];
  for (const req of fields) {
    if (!selectable.includes(req.field)) throw badRequest(`field label not supported: ${req.field}`);
  }
  if (labels.length === 0 && fields.length === 0) return () => true;
  return (obj) =>
    matchesLabelSelector(labels, obj.metadata.labels) && fields.every((req) => (fieldValue(obj, req.field) === req.value) !== req.negate);
}
