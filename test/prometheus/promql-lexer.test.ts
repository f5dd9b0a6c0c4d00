import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type LexerOptions,
  promqlLexer,
  type Token,
  type TokenKind,
} from '../../local/emulators/prometheus/promql-lexer.ts';

class LexError extends Error {
  readonly position: number;
  constructor(position: number, message: string) {
    super(message);
    this.position = position;
  }
}
const error = (position: number, message: string) => new LexError(position, message);

/** As the Prometheus emulator configures it: numbers are tokens, `[` `]` punctuation, anything else an error. */
const strict = promqlLexer({
  punctuation: ['!=', '=~', '!~', '{', '}', '(', ')', ',', '=', '[', ']'],
  numbers: true,
  unknown: 'error',
  error,
});
/** As the CloudWatch adapter configures it: comparisons known, anything else one `other` token. */
const lenient = promqlLexer({
  punctuation: ['!=', '=~', '!~', '==', '>=', '<=', '{', '}', '(', ')', ',', '='],
  numbers: false,
  unknown: 'other',
  error,
});

type Triple = [TokenKind, string, number];
const triples = (tokens: Token[]): Triple[] => tokens.map((t) => [t.kind, t.value, t.pos]);

describe('promqlLexer: tokens', () => {
  const cases: Array<{ name: string; lexer: typeof strict; input: string; tokens: Triple[] }> = [
    { name: 'empty input is just eof', lexer: strict, input: '', tokens: [['eof', '', 0]] },
    { name: 'whitespace only: eof at the end', lexer: lenient, input: ' \t\n', tokens: [['eof', '', 3]] },
    {
      name: 'identifiers may hold colons and digits after the first character',
      lexer: strict,
      input: 'job:rps_5m x',
      tokens: [
        ['ident', 'job:rps_5m', 0],
        ['ident', 'x', 11],
        ['eof', '', 12],
      ],
    },
    {
      name: 'a selector with matchers',
      lexer: strict,
      input: 'fleet_rps{fleet="a",pool!~"b.*"}',
      tokens: [
        ['ident', 'fleet_rps', 0],
        ['punct', '{', 9],
        ['ident', 'fleet', 10],
        ['punct', '=', 15],
        ['string', 'a', 16], // a string's position is its opening quote
        ['punct', ',', 19],
        ['ident', 'pool', 20],
        ['punct', '!~', 24],
        ['string', 'b.*', 26],
        ['punct', '}', 31],
        ['eof', '', 32],
      ],
    },
    {
      name: 'escapes in double and single quotes; backquotes are raw',
      lexer: lenient,
      input: String.raw`"a\"b\n" 'c\'d\\' ` + '`e\\n`',
      tokens: [
        ['string', 'a"b\n', 0],
        ['string', "c'd\\", 9],
        ['string', 'e\\n', 18],
        ['eof', '', 23],
      ],
    },
    {
      name: 'strict: numbers and durations are one number token, brackets are punctuation',
      lexer: strict,
      input: 'x[5m] 0.5 .5e3',
      tokens: [
        ['ident', 'x', 0],
        ['punct', '[', 1],
        ['number', '5m', 2],
        ['punct', ']', 4],
        ['number', '0.5', 6],
        ['number', '.5e3', 10],
        ['eof', '', 14],
      ],
    },
    {
      name: 'strict: "==" is two "=" (comparison is not in its punctuation)',
      lexer: strict,
      input: 'a==b',
      tokens: [
        ['ident', 'a', 0],
        ['punct', '=', 1],
        ['punct', '=', 2],
        ['ident', 'b', 3],
        ['eof', '', 4],
      ],
    },
    {
      name: 'lenient: a range is one other token, up to the next one-character punctuation',
      lexer: lenient,
      input: 'x[5m] )',
      tokens: [
        ['ident', 'x', 0],
        ['other', '[5m]', 1],
        ['punct', ')', 6],
        ['eof', '', 7],
      ],
    },
    {
      name: 'lenient: comparisons are punctuation; arithmetic runs to whitespace as other',
      lexer: lenient,
      input: 'a>=1 b+c*2',
      tokens: [
        ['ident', 'a', 0],
        ['punct', '>=', 1],
        ['other', '1', 3],
        ['ident', 'b', 5],
        ['other', '+c*2', 6], // an other token runs over identifier characters too
        ['eof', '', 10],
      ],
    },
    {
      name: 'lenient: an other token stops at a quote but not at a two-character operator',
      lexer: lenient,
      input: '5!="x"',
      tokens: [
        ['other', '5!', 0], // stops at '=', a one-character punctuation
        ['punct', '=', 2],
        ['string', 'x', 3],
        ['eof', '', 6],
      ],
    },
  ];
  it.each(cases)('$name', ({ lexer, input, tokens }) => {
    expect(triples(lexer(input))).toEqual(tokens);
  });
});

describe('promqlLexer: errors come from the factory, with 0-based positions', () => {
  const cases: Array<{ name: string; lexer: typeof strict; input: string; position: number; message: string }> = [
    {
      name: 'unterminated string: at its opening quote',
      lexer: strict,
      input: 'x{a="b',
      position: 4,
      message: 'unterminated quoted string',
    },
    {
      name: 'unterminated backquoted string',
      lexer: lenient,
      input: '`abc',
      position: 0,
      message: 'unterminated quoted string',
    },
    {
      name: 'unknown escape: at the backslash',
      lexer: lenient,
      input: '"a\\qb"',
      position: 2,
      message: "unknown escape sequence '\\q'",
    },
    {
      name: 'a backslash ending the input',
      lexer: strict,
      input: '"a\\',
      position: 2,
      message: "unknown escape sequence '\\'",
    },
    {
      name: 'strict: an unknown character',
      lexer: strict,
      input: 'a + b',
      position: 2,
      message: "unexpected character: '+'",
    },
    {
      name: 'strict: comparison is unknown to it',
      lexer: strict,
      input: 'a>=1',
      position: 1,
      message: "unexpected character: '>'",
    },
  ];
  it.each(cases)('$name', ({ lexer, input, position, message }) => {
    let thrown: unknown;
    try {
      lexer(input);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(LexError);
    expect(thrown).toMatchObject({ position, message });
  });

  it('lenient never throws on unquoted input: anything unknown is an other token', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/["'`]/.test(s)),
        (s) => {
          expect(lenient(s).at(-1)).toEqual({ kind: 'eof', value: '', pos: s.length });
        },
      ),
    );
  });
});

describe('promqlLexer: options', () => {
  const base: LexerOptions = { punctuation: ['{'], numbers: false, unknown: 'error', error };
  it.each([
    { name: 'empty punctuation', punctuation: [''] },
    { name: 'three-character punctuation', punctuation: ['{', '!=='] },
  ])('refuses $name', ({ punctuation }) => {
    expect(() => promqlLexer({ ...base, punctuation })).toThrow(RangeError);
  });

  it('tokens are in order, do not overlap and quote the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab1.{}()[]=!~,+ "\\'.split('')) }), (s) => {
        for (const lexer of [strict, lenient]) {
          let tokens: Token[];
          try {
            tokens = lexer(s);
          } catch (e) {
            expect(e).toBeInstanceOf(LexError);
            continue;
          }
          for (let i = 1; i < tokens.length; i++) expect(tokens[i]!.pos).toBeGreaterThan(tokens[i - 1]!.pos);
          for (const [i, t] of tokens.entries()) {
            expect(t.pos).toBeLessThanOrEqual(s.length);
            // Unquoted tokens are the input's text as written, and end before the next token starts.
            if (t.kind === 'string' || t.kind === 'eof') continue;
            expect(s.slice(t.pos, t.pos + t.value.length)).toBe(t.value);
            expect(t.pos + t.value.length).toBeLessThanOrEqual(tokens[i + 1]!.pos);
          }
        }
      }),
    );
  });
});
