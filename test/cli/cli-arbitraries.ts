/**
 * Arbitraries for the `autoscaler` command line (test/cli/cli.property.test.ts): argument vectors built from
 * the commands and flags the help documents, unknown ones, and values of every shape a user may type
 * (numbers in and out of range, decimals, hex, padded, exponents, negative, empty, words, ages, ISO times).
 *
 * Nothing generated here may start work that outlives the test or leaves 127.0.0.1: `--function` (Lambda
 * Invoke) and `local serve` (serves until Ctrl-C) are never generated, and the values of `--config`,
 * `--trace`, `--report`... name only files of the test's own sandbox (see FILES).
 */
import fc from 'fast-check';

export const COMMANDS = [
  'simulate',
  'parse-event',
  'status',
  'plan',
  'explain',
  'scale',
  'clear-target',
  'pause',
  'resume',
  'drain',
  'history',
  'advise',
  'reset',
] as const;

export const CHANGING = ['scale', 'clear-target', 'pause', 'resume', 'drain'] as const;

/** Files in the sandbox directory the arguments name (made by the test): none of them a valid configuration. */
export const FILES = {
  missing: 'missing.json',
  garbage: 'garbage.json',
  csv: 'trace.csv',
  /**
   * A path under a regular file: it can never be written (so a simulation always stops before it runs; the
   * sandbox's `out` is a file too, so the default report path cannot be written either).
   */
  unwritable: 'blocker/report.html',
} as const;

const FILE_VALUES = Object.values(FILES);

/** A whole number, a decimal, a negative one, or something that only looks like a number. */
export const numberText = fc.oneof(
  fc.integer({ min: -5, max: 2000 }).map(String),
  fc.integer({ min: -1, max: 0xffffffff + 2 }).map(String),
  fc.double({ min: -2, max: 2, noNaN: true }).map(String),
  fc.constantFrom('0', '1', '0.5', '1.0', '0.', '.5', '-0', '744', '745', '1000', '1001', '168', '169'),
  fc.constantFrom('0x10', ' 5 ', '1e3', '1e-1', '1e1', 'Infinity', 'NaN', '', 'abc', '5m', '+3', '1_000', '٣'),
);

/** A duration or an age: valid ones (`90s`, `2h`), huge ones, and ones that are not durations. */
export const durationText = fc.oneof(
  fc.tuple(fc.nat(10_000), fc.constantFrom('s', 'm', 'h', 'd')).map(([n, u]) => `${n}${u}`),
  fc.constantFrom('soon', '5x', '', '-1h', '1.5h', 'h', '2 h'),
);

/** ISO times (valid and impossible), and texts that are not times. */
export const timeText = fc.oneof(
  fc
    .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom('2030-13-01T00:00:00Z', 'yesterday', '', 'now', '2025-03-04'),
);

export const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);

/** Any value a flag may be given. */
export const anyValue = fc.oneof(
  { weight: 3, arbitrary: numberText },
  { weight: 2, arbitrary: durationText },
  { weight: 1, arbitrary: timeText },
  { weight: 2, arbitrary: word },
  { weight: 1, arbitrary: fc.constantFrom(...FILE_VALUES) },
  { weight: 1, arbitrary: fc.constantFrom('llm-demo', 'aws-g5-ondemand', 'table', 'wide', 'json', 'rps', 'ms') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

/**
 * Flags whose value is a path: only the sandbox's files (never a readable configuration, never a path out of
 * the sandbox: `reset` removes files of `--state-dir`, `local kubeconfig -o` writes one).
 */
const FILE_FLAGS: readonly string[] = [
  '--config',
  '--trace',
  '--spot-trace',
  '--report',
  '--decisions',
  '--context',
  '--state-dir',
  '-o',
  '--output',
];
/** Where a simulation writes: never writable here (with `out` a file in the sandbox, nor is the default). */
const OUTPUT_FLAGS: readonly string[] = ['--report', '--decisions'];
const PATH_VALUES = [...FILE_VALUES, 'state', 'table', 'wide', 'json'];

/** Every flag the help of some command documents (but `--function`), and a few it does not. */
export const FLAGS = [
  '--fleet',
  '--pool',
  '--target',
  '--reason',
  '--actor',
  '--ttl',
  '--expires-at',
  '--node',
  '--dry-run',
  '--json',
  '--advance',
  '--region',
  '--since',
  '--until',
  '--trigger',
  '--limit',
  '--now',
  '--hours',
  '--seed',
  '--peak-rps',
  '--availability',
  '--warm-start-failure',
  '--time-column',
  '--time-unit',
  '--value-column',
  '--value-unit',
  '--cold-start',
  '--no-warm',
  '--advise',
  '--from-metrics',
  '--prometheus',
  '--cluster',
  '--help',
  '-h',
  '--version',
  '--fast',
  '--jsn',
  '-x',
  ...FILE_FLAGS,
] as const;

/** One token group: a flag alone, a flag and its value, `--flag=value`, or a stray word. */
const token = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...FLAGS).map((f) => [f]) },
  {
    weight: 5,
    arbitrary: fc
      .constantFrom(...FLAGS)
      .chain((f) =>
        (OUTPUT_FLAGS.includes(f)
          ? fc.constant(FILES.unwritable)
          : FILE_FLAGS.includes(f)
            ? fc.constantFrom(...PATH_VALUES)
            : anyValue
        ).map((v) => [f, v] as string[]),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...FLAGS)
      .filter((f) => f.startsWith('--') && !FILE_FLAGS.includes(f))
      .chain((f) => anyValue.map((v) => [`${f}=${v}`])),
  },
  { weight: 1, arbitrary: word.map((w) => [w]) },
);

/** A command (or an unknown word, or `local kubeconfig`) followed by up to 6 token groups. */
export const argv = fc
  .tuple(
    fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...COMMANDS).map((c) => [c]) },
      { weight: 1, arbitrary: fc.constant(['local', 'kubeconfig']) },
      { weight: 1, arbitrary: word.map((w) => [w]) },
      { weight: 1, arbitrary: fc.constant([] as string[]) },
    ),
    fc.array(token, { maxLength: 6 }),
  )
  .map(([head, rest]) => [...head, ...rest.flat()]);
