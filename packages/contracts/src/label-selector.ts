import { isLabelKey, isLabelValue } from './meta.js';

/** One requirement of a Kubernetes label selector; `gt`/`lt` values are decimal integers. */
export type LabelRequirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'gt' | 'lt'; value: string };

/** A malformed selector; `token` is the requirement (the text between commas) that failed. */
export class LabelSelectorError extends Error {
  constructor(
    message: string,
    readonly token: string,
  ) {
    super(message);
    this.name = 'LabelSelectorError';
  }
}

// The grammar and its error wording follow k8s.io/apimachinery/pkg/labels/selector.go, so a selector
// is accepted or refused here exactly as kube-apiserver would.

type TokenKind = 'id' | 'in' | 'notin' | '!' | '=' | '==' | '!=' | '<' | '>' | '(' | ')' | ',' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
  /** Offset of the token in the selector, used to quote the failing requirement. */
  start: number;
}

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
// Only these separate tokens in Kubernetes; other whitespace (a non-breaking space, say) stays inside
// the identifier and then fails key or value validation.
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);
const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';
const INT64_MAX = 2n ** 63n - 1n;

function tokenize(selector: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < selector.length) {
    const ch = selector[i] as string;
    if (WHITESPACE.has(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (SPECIAL.has(ch)) {
      // Longest operator wins, so `!=` is one token and `=(` is two.
      const pair = selector.slice(i, i + 2);
      const text = pair === '==' || pair === '!=' ? pair : ch;
      tokens.push({ kind: text as TokenKind, text, start });
      i += text.length;
      continue;
    }
    while (i < selector.length && !SPECIAL.has(selector[i] as string) && !WHITESPACE.has(selector[i] as string)) i++;
    const text = selector.slice(start, i);
    tokens.push({ kind: text === 'in' || text === 'notin' ? text : 'id', text, start });
  }
  tokens.push({ kind: 'end', text: '', start: selector.length });
  return tokens;
}

/** Parses an int64 the way Go's strconv.ParseInt(s, 10, 64) does, or undefined. */
function parseInt64(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n > INT64_MAX || n < -INT64_MAX - 1n ? undefined : n;
}

class Parser {
  private pos = 0;
  /** Index of the first token of the requirement being parsed. */
  private reqStart = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly selector: string,
  ) {}

  /** In value position `in` and `notin` are ordinary words, so `in in (in)` is a valid selector. */
  private peek(asValue = true): Token {
    const tok = this.tokens[this.pos] as Token;
    return asValue && (tok.kind === 'in' || tok.kind === 'notin') ? { ...tok, kind: 'id' } : tok;
  }

  private next(asValue = true): Token {
    const tok = this.peek(asValue);
    if (tok.kind !== 'end') this.pos++;
    return tok;
  }

  /** The current requirement's text: from its first token to the next comma outside parentheses. */
  private requirementText(): string {
    const from = this.tokens[this.reqStart] as Token;
    let depth = 0;
    let end = this.selector.length;
    for (const tok of this.tokens.slice(this.reqStart)) {
      if (tok.kind === '(') depth++;
      else if (tok.kind === ')') depth = Math.max(0, depth - 1);
      else if ((tok.kind === ',' && depth === 0) || tok.kind === 'end') {
        end = tok.start;
        break;
      }
    }
    return this.selector.slice(from.start, end).trim();
  }

  private fail(why: string): never {
    const token = this.requirementText();
    throw new LabelSelectorError(`unable to parse requirement ${JSON.stringify(token)}: ${why}`, token);
  }

  private key(): string {
    const tok = this.next();
    if (tok.kind !== 'id') this.fail(`found '${tok.text}', expected: identifier`);
    if (!isLabelKey(tok.text)) {
      this.fail(
        `invalid label key ${JSON.stringify(tok.text)}: name part must consist of alphanumeric characters, '-', '_' or '.', ` +
          'must start and end with an alphanumeric character and be at most 63 characters, with an optional DNS subdomain prefix',
      );
    }
    return tok.text;
  }

  private checkValue(value: string): string {
    if (!isLabelValue(value)) {
      this.fail(
        `invalid label value ${JSON.stringify(value)}: a valid label must be an empty string or consist of alphanumeric characters, ` +
          "'-', '_' or '.', and must start and end with an alphanumeric character and be at most 63 characters",
      );
    }
    return value;
  }

  /** A single value after `=`, `==`, `!=`, `<` or `>`; nothing before `,` or the end means "". */
  private exactValue(): string {
    const ahead = this.peek();
    if (ahead.kind === 'end' || ahead.kind === ',') return '';
    const tok = this.next();
    if (tok.kind !== 'id') this.fail(`found '${tok.text}', expected: identifier`);
    return this.checkValue(tok.text);
  }

  /** `(a,b)`; every empty slot, as in `()`, `(,a)` or `(a,,b)`, stands for the empty value. */
  private valueSet(): string[] {
    const open = this.next();
    if (open.kind !== '(') this.fail(`found '${open.text}' expected: '('`);
    const values: string[] = [];
    let slot = '';
    for (;;) {
      const tok = this.next();
      if (tok.kind === 'id') {
        slot = tok.text;
        const after = this.peek();
        if (after.kind !== ',' && after.kind !== ')') this.fail(`found '${after.text}', expected: ',' or ')'`);
      } else if (tok.kind === ',' || tok.kind === ')') {
        values.push(this.checkValue(slot));
        slot = '';
        if (tok.kind === ')') break;
      } else {
        this.fail(`found '${tok.text}', expected: ',', ')' or identifier`);
      }
    }
    // Values form a set, as in Kubernetes.
    return [...new Set(values)];
  }

  private requirement(): LabelRequirement {
    this.reqStart = this.pos;
    const negated = this.peek().kind === '!';
    if (negated) this.next();
    const key = this.key();
    const ahead = this.peek(false);
    if (ahead.kind === 'end' || ahead.kind === ',') return { key, op: negated ? 'notexists' : 'exists' };
    // `!key` takes no operator; what follows is then reported as a missing ','.
    if (negated) return { key, op: 'notexists' };
    const op = this.next(false);
    switch (op.kind) {
      case '=':
      case '==':
        return { key, op: 'eq', value: this.exactValue() };
      case '!=':
        return { key, op: 'neq', value: this.exactValue() };
      case 'in':
      case 'notin':
        return { key, op: op.kind, values: this.valueSet() };
      case '<':
      case '>': {
        const value = this.exactValue();
        if (parseInt64(value) === undefined)
          this.fail(`for 'gt', 'lt' operators, the value must be an integer, got ${JSON.stringify(value)}`);
        return { key, op: op.kind === '<' ? 'lt' : 'gt', value };
      }
      case 'id':
      case '!':
      case '(':
      case ')':
      case ',':
      case 'end':
        return this.fail(`found '${op.text}', expected: ${BINARY_OPERATORS}`);
    }
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    if (this.peek().kind === 'end') return requirements;
    for (;;) {
      const first = this.peek();
      if (first.kind !== 'id' && first.kind !== '!') {
        this.reqStart = this.pos;
        this.fail(`found '${first.text}', expected: !, identifier, or 'end of string'`);
      }
      requirements.push(this.requirement());
      const sep = this.next();
      if (sep.kind === 'end') return requirements;
      if (sep.kind !== ',') this.fail(`found '${sep.text}', expected: ',' or 'end of string'`);
      const after = this.peek();
      if (after.kind !== 'id' && after.kind !== '!') {
        this.reqStart = this.pos;
        this.fail(`found '${after.text}', expected: identifier after ','`);
      }
    }
  }
}

/** Parses Kubernetes label-selector syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  return new Parser(tokenize(selector), selector).parse();
}

/** True when `labels` satisfy every requirement; `!=` and `notin` also match objects without the key. */
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
      case 'gt':
      case 'lt': {
        // A label that is not an integer never satisfies a numeric comparison.
        const actual = has ? parseInt64(value as string) : undefined;
        const bound = parseInt64(req.value);
        if (actual === undefined || bound === undefined) return false;
        return req.op === 'gt' ? actual > bound : actual < bound;
      }
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
        case 'gt':
          return `${req.key}>${req.value}`;
        case 'lt':
          return `${req.key}<${req.value}`;
      }
    })
    .join(',');
}
