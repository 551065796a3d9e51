import { isLabelKey, isLabelValue } from './validation.js';

/** One clause of a label selector; clauses are ANDed. */
export type LabelRequirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'gt' | 'lt'; value: number };

/** A malformed selector; the HTTP layer answers it with 400 BadRequest. */
export class SelectorSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorSyntaxError';
  }
}

type Token = { kind: 'word'; text: string } | { kind: 'op'; text: string };

const SINGLE = new Set(['!', '=', ',', '(', ')', '<', '>']);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if ((ch === '=' || ch === '!') && input[i + 1] === '=') {
      tokens.push({ kind: 'op', text: ch === '=' ? '==' : '!=' });
      i += 2;
    } else if (SINGLE.has(ch)) {
      tokens.push({ kind: 'op', text: ch });
      i++;
    } else {
      let j = i;
      while (j < input.length && !SINGLE.has(input[j] as string) && !/\s/.test(input[j] as string)) j++;
      tokens.push({ kind: 'word', text: input.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private fail(why: string): never {
    throw new SelectorSyntaxError(`unable to parse requirement: ${why} (in label selector "${this.source}")`);
  }

  private word(what: string): string {
    const tok = this.tokens[this.pos];
    if (tok?.kind !== 'word') this.fail(`expected ${what}`);
    this.pos++;
    return tok.text;
  }

  private isOp(text: string): boolean {
    const tok = this.peek();
    return tok?.kind === 'op' && tok.text === text;
  }

  private key(): string {
    const key = this.word('a label key');
    if (!isLabelKey(key)) this.fail(`invalid label key ${JSON.stringify(key)}`);
    return key;
  }

  private value(): string {
    // An empty value (`a=`) is legal: it selects the label set to "".
    const tok = this.peek();
    const value = tok?.kind === 'word' ? this.word('a value') : '';
    if (!isLabelValue(value)) this.fail(`invalid label value ${JSON.stringify(value)}`);
    return value;
  }

  private set(): string[] {
    if (!this.isOp('(')) this.fail('expected "(" after in/notin');
    this.pos++;
    const values = [this.value()];
    while (this.isOp(',')) {
      this.pos++;
      values.push(this.value());
    }
    if (!this.isOp(')')) this.fail('expected ")" to close the value set');
    this.pos++;
    if (values.length === 1 && values[0] === '') this.fail('for "in", "notin" operators, values set can\'t be empty');
    return values;
  }

  private requirement(): LabelRequirement {
    if (this.isOp('!')) {
      this.pos++;
      return { key: this.key(), op: 'notexists' };
    }
    const key = this.key();
    const tok = this.peek();
    if (tok === undefined || (tok.kind === 'op' && tok.text === ',')) return { key, op: 'exists' };
    this.pos++;
    if (tok.kind === 'word') {
      if (tok.text === 'in' || tok.text === 'notin') return { key, op: tok.text, values: this.set() };
      this.fail(`unexpected ${JSON.stringify(tok.text)} after key ${JSON.stringify(key)}`);
    }
    switch (tok.text) {
      case '=':
      case '==':
        return { key, op: 'in', values: [this.value()] };
      case '!=':
        return { key, op: 'notin', values: [this.value()] };
      case '<':
      case '>': {
        const raw = this.word('an integer');
        if (!/^-?\d+$/.test(raw)) this.fail(`for "<", ">" operators, the value must be an integer, got ${JSON.stringify(raw)}`);
        return { key, op: tok.text === '<' ? 'lt' : 'gt', value: Number(raw) };
      }
      default:
        return this.fail(`unexpected ${JSON.stringify(tok.text)} after key ${JSON.stringify(key)}`);
    }
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    if (this.tokens.length === 0) return requirements;
    for (;;) {
      requirements.push(this.requirement());
      if (this.peek() === undefined) return requirements;
      if (!this.isOp(',')) this.fail('expected "," between requirements');
      this.pos++;
    }
  }
}

/** Parses a Kubernetes label selector; the empty selector yields no requirements and selects everything. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  return new Parser(tokenize(selector), selector).parse();
}

/** True when `labels` satisfy every requirement. */
export function matchesLabels(requirements: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const set = labels ?? {};
  return requirements.every((req) => {
    const has = Object.hasOwn(set, req.key);
    const value = set[req.key];
    switch (req.op) {
      case 'exists':
        return has;
      case 'notexists':
        return !has;
      case 'in':
        return has && req.values.includes(value as string);
      // As in Kubernetes, `!=` and `notin` also select objects that lack the label.
      case 'notin':
        return !has || !req.values.includes(value as string);
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(value as string)) return false;
        const n = Number(value);
        return req.op === 'gt' ? n > req.value : n < req.value;
      }
    }
  });
}
