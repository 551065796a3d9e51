import { isLabelKey, isLabelValue } from './meta.js';

/** One requirement of a Kubernetes label selector. */
export type LabelRequirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export class LabelSelectorError extends Error {
  constructor(
    message: string,
    readonly token: string,
  ) {
    super(message);
    this.name = 'LabelSelectorError';
  }
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += ch;
  }
  terms.push(current.trim());
  return terms;
}

function checkKey(key: string, term: string): string {
  if (!isLabelKey(key)) throw new LabelSelectorError(`invalid label key "${key}" in "${term}"`, term);
  return key;
}

function checkValue(value: string, term: string): string {
  if (!isLabelValue(value)) throw new LabelSelectorError(`invalid label value "${value}" in "${term}"`, term);
  return value;
}

/** Parses Kubernetes label-selector syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === '') return [];
  return splitTerms(selector).map((term): LabelRequirement => {
    if (term === '') throw new LabelSelectorError('empty requirement in selector', term);
    const setMatch = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(term);
    if (setMatch) {
      const [, key, op, list] = setMatch as unknown as [string, string, 'in' | 'notin', string];
      const values = list.split(',').map((v) => checkValue(v.trim(), term));
      if (values.length === 0 || (values.length === 1 && values[0] === '' && op === 'in')) {
        throw new LabelSelectorError(`empty value list in "${term}"`, term);
      }
      return { key: checkKey(key, term), op, values };
    }
    const eqMatch = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (eqMatch) {
      const [, key, op, value] = eqMatch as unknown as [string, string, string, string];
      return { key: checkKey(key, term), op: op === '!=' ? 'neq' : 'eq', value: checkValue(value, term) };
    }
    if (term.startsWith('!')) return { key: checkKey(term.slice(1).trim(), term), op: 'notexists' };
    if (/^\S+$/.test(term)) return { key: checkKey(term, term), op: 'exists' };
    throw new LabelSelectorError(`cannot parse requirement "${term}"`, term);
  });
}

/** True when `labels` satisfy every requirement. */
export function matchesLabelSelector(requirements: readonly LabelRequirement[], labels: Readonly<Record<string, string>> = {}): boolean {
  return requirements.every((req) => {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    switch (req.op) {
      case 'eq':
        return has && value === req.value;
      case 'neq':
        return !has || value !== req.value;
      case 'in':
        return has && req.values.includes(value as string);
      case 'notin':
        return !has || !req.values.includes(value as string);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

/** Renders requirements back into the canonical selector string. */
export function formatLabelSelector(requirements: readonly LabelRequirement[]): string {
  return requirements
    .map((req) => {
      switch (req.op) {
        case 'eq':
          return `${req.key}=${req.value}`;
        case 'neq':
          return `${req.key}!=${req.value}`;
        case 'in':
          return `${req.key} in (${req.values.join(',')})`;
        case 'notin':
          return `${req.key} notin (${req.values.join(',')})`;
        case 'exists':
          return req.key;
        case 'notexists':
          return `!${req.key}`;
      }
    })
    .join(',');
}
