/**
 * The PromQL lexer of the Prometheus emulator's reader (promql.ts; the functions send PromQL but never read
 * it). It reads identifiers, quoted strings and punctuation; which punctuation it knows, whether numbers and
 * durations are tokens, what becomes of any other character, and how errors are reported are options, and
 * errors are made by the caller's factory so the parser keeps its own error class and message format. Pure.
 */

export type TokenKind = 'ident' | 'string' | 'punct' | 'number' | 'other' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The text as written; for a string its unquoted, unescaped value; for `eof` the empty string. */
  readonly value: string;
  /** 0-based offset of the token's first character (for a string, its opening quote). */
  readonly pos: number;
}

export interface LexerOptions {
  /** Operators and punctuation of one or two characters (`'{'`, `'!='`); two-character ones are matched first. */
  readonly punctuation: readonly string[];
  /** Whether a run starting with a digit or `.` (`5m`, `0.5`, `1e3`) is read as one `number` token. */
  readonly numbers: boolean;
  /**
   * What any other character becomes. `'other'`: one `other` token running up to whitespace, a quote or a
   * one-character punctuation (so `[5m]` or `+1` is named whole in an error); `'error'`: an error there.
   */
  readonly unknown: 'other' | 'error';
  /** Makes the error thrown for malformed input; `position` is a 0-based offset into the input. */
  readonly error: (position: number, message: string) => Error;
}

const QUOTES = '"\'`';
/** Escapes inside '...' and "..." (backquoted strings are raw), as PromQL reads them. */
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
const SPACE = /\s/;
const IDENT_START = /[a-zA-Z_:]/;
const IDENT_PART = /[a-zA-Z0-9_:]/;
const NUMBER_START = /[0-9.]/;
const NUMBER_PART = /[0-9a-zA-Z.]/;

/** Returns a tokenizer for `options`; its result always ends with one `eof` token at `input.length`. */
export function promqlLexer(options: LexerOptions): (input: string) => Token[] {
  const bad = options.punctuation.find((p) => p.length !== 1 && p.length !== 2);
  if (bad !== undefined) throw new RangeError(`punctuation '${bad}' must be one or two characters long`);
  const pairs = new Set(options.punctuation.filter((p) => p.length === 2));
  const singles = new Set(options.punctuation.filter((p) => p.length === 1));
  const { error } = options;
  const endsOther = (c: string) => SPACE.test(c) || QUOTES.includes(c) || singles.has(c);

  const quoted = (input: string, start: number): { value: string; end: number } => {
    const quote = input[start]!;
    let value = '';
    let i = start + 1;
    for (;;) {
      if (i >= input.length) throw error(start, 'unterminated quoted string');
      const d = input[i]!;
      if (d === quote) return { value, end: i + 1 };
      if (d === '\\' && quote !== '`') {
        const e = input[i + 1];
        const escaped = e === undefined ? undefined : ESCAPES[e];
        if (escaped === undefined) throw error(i, `unknown escape sequence '\\${e ?? ''}'`);
        value += escaped;
        i += 2;
        continue;
      }
      value += d;
      i++;
    }
  };

  return (input) => {
    const out: Token[] = [];
    const run = (start: number, part: (c: string) => boolean) => {
      let i = start + 1;
      while (i < input.length && part(input[i]!)) i++;
      return i;
    };
    let i = 0;
    while (i < input.length) {
      const c = input[i]!;
      const start = i;
      if (SPACE.test(c)) {
        i++;
      } else if (IDENT_START.test(c)) {
        i = run(start, (d) => IDENT_PART.test(d));
        out.push({ kind: 'ident', value: input.slice(start, i), pos: start });
      } else if (QUOTES.includes(c)) {
        const s = quoted(input, start);
        i = s.end;
        out.push({ kind: 'string', value: s.value, pos: start });
      } else if (pairs.has(input.slice(i, i + 2))) {
        i += 2;
        out.push({ kind: 'punct', value: input.slice(start, i), pos: start });
      } else if (options.numbers && NUMBER_START.test(c)) {
        i = run(start, (d) => NUMBER_PART.test(d));
        out.push({ kind: 'number', value: input.slice(start, i), pos: start });
      } else if (singles.has(c)) {
        i++;
        out.push({ kind: 'punct', value: c, pos: start });
      } else if (options.unknown === 'other') {
        // `c` itself is not an end: whitespace, quotes and one-character punctuation were matched above.
        i = run(start, (d) => !endsOther(d));
        out.push({ kind: 'other', value: input.slice(start, i), pos: start });
      } else {
        throw error(i, `unexpected character: '${c}'`);
      }
    }
    out.push({ kind: 'eof', value: '', pos: input.length });
    return out;
  };
}
