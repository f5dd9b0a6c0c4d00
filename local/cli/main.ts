/**
 * The `autoscaler` command line, on commander. Each command's work lives in its own module, loaded only when
 * the command runs, so that a quick command (or a rejected one) does not pay for the cloud SDKs: every flag
 * and value is checked before anything starts.
 *
 * Exit codes, the same for every command: 0 success; 1 failure or not found (a cloud error, an unknown fleet
 * or node); 2 usage or a rejected command (a missing or bad flag, a file that cannot be read, a command the
 * ops function refuses). Usage errors go to standard error.
 */
import { readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, CommanderError, Option, type OptionValues } from '@commander-js/extra-typings';
import {
  DEFAULT_CONFIG,
  DEFAULT_STATE_DIR,
  type HistoryFilter,
  type OpsOptions,
  ageOrTime,
  durationOption,
  integerOption,
  isoTimeArg,
} from './args.ts';
import { type CliIo, processIo, UsageError } from './io.ts';
import { messageOf } from '../../shared/domain/errors.ts';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const EXIT_CODES = `
Exit codes (every command):
  0  success
  1  failure or not found (a cloud error, an unknown fleet, pool or node)
  2  usage error or rejected command (a missing or invalid flag, a file that cannot be read)`;

const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Options a `--flag -3` style negative number would confuse in a parser that takes `-3` for a flag: the
 * simulation keeps its own parser, so its arguments are joined as `--flag=-3` first.
 */
export function joinNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (a.startsWith('--') && !a.includes('=') && next !== undefined && /^-\d+(\.\d+)?$/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Files the simulation reads: checked before it starts, so a typo is a usage error, not a half-run. */
async function checkReadable(io: CliIo, args: string[], flags: string[]): Promise<void> {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (!flags.includes(flag)) continue;
    const value = inline ?? args[i + 1];
    if (value === undefined || value.startsWith('--')) continue;
    try {
      await access(resolve(io.cwd, value));
    } catch {
      throw new UsageError(`${flag}: cannot read ${value}`);
    }
  }
}

/** Where to run an operator command: the options every one of them takes. */
// biome-ignore lint/suspicious/noExplicitAny: commander's own type parameters
function withTarget<A extends any[], O extends OptionValues, G extends OptionValues>(c: Command<A, O, G>) {
  return c
    .option('--json', 'print the result as JSON')
    .option('--config <file>', 'configuration for a local run (JSON or YAML)', DEFAULT_CONFIG)
    .option('--state-dir <dir>', 'where the local world and the autoscaler table are kept', DEFAULT_STATE_DIR)
    .option('--function <name>', 'invoke the deployed ops function (Lambda Invoke) instead of running locally')
    .option('--region <region>', 'AWS region of --function')
    .option('--advance <duration>', 'local world: let this much simulated time pass first (e.g. 10m)');
}

// biome-ignore lint/suspicious/noExplicitAny: commander's own type parameters
const changing = <A extends any[], O extends OptionValues, G extends OptionValues>(c: Command<A, O, G>) =>
  c
    .requiredOption('--reason <text>', 'why (kept in the audit record)')
    .option('--actor <who>', 'who asks (default: $USER)')
    .option('--dry-run', 'compute and explain, change nothing');

export function buildProgram(io: CliIo, done: (code: number) => void): Command {
  const program = new Command('autoscaler')
    .description('The GPU fleet autoscaler: the offline simulation, event parsing and operator commands.')
    .version(version(), '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
    })
    .addHelpText('after', EXIT_CODES);

  const ops = async (command: string, o: Omit<OpsOptions, 'advanceSeconds'> & { advance?: string }) => {
    const { advance, ...opts } = o;
    const advanceSeconds = advance === undefined ? undefined : await durationOption('--advance', advance);
    const { runOps } = await import('./commands/ops.ts');
    done(await runOps(command, { ...opts, ...(advanceSeconds !== undefined ? { advanceSeconds } : {}) }, io));
  };

  program
    .command('simulate')
    .description('run the offline simulation: the autoscaler and the baselines on the same demand')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[options...]', 'see autoscaler simulate --help')
    .addHelpText(
      'after',
      examples(
        'autoscaler simulate --hours 6 --seed 3',
        'autoscaler simulate --trace demand.csv --value-unit rps --json',
      ),
    )
    .action(async (args) => {
      const joined = joinNegativeValues(args);
      if (!joined.includes('--help') && !joined.includes('-h'))
        await checkReadable(io, joined, ['--trace', '--spot-trace', '--config']);
      const { simulate } = await import('./commands/simulate.ts');
      done(await simulate(joined, io));
    });

  program
    .command('parse-event')
    .description('print the normalized signal of a raw event as JSON (exit 2 if it does not parse)')
    .argument('[file]', 'the event (JSON); - or nothing for standard input', '-')
    .option('--context <file>', 'a JSON NormalizeContext: alarm, dimension and tag mappings')
    .option('--now <iso>', 'the time for payloads that carry none (default: now)')
    .addHelpText(
      'after',
      examples(
        'autoscaler parse-event events/samples/aws-spot-interruption/valid.json',
        'cat event.json | autoscaler parse-event --now 2025-03-04T10:15:00Z',
      ),
    )
    .action(async (file, o) => {
      if (o.now !== undefined && (await isoTimeArg(o.now)) === undefined)
        throw new UsageError(`--now ${o.now}: not an ISO time with its zone (2025-03-04T10:15:00Z)`);
      const { runParseEvent } = await import('./commands/parse-event.ts');
      done(await runParseEvent({ file, contextFile: o.context, now: o.now }, io));
    });

  withTarget(
    program
      .command('status')
      .description('pools, desired and ready nodes, $/h, pause, manual target and recent decisions of every fleet')
      .option('--fleet <id>', 'only this fleet (default: every fleet)')
      .addOption(
        new Option('-o, --output <format>', 'table, wide (also the nodes) or json').choices(['table', 'wide', 'json']),
      )
      .addHelpText(
        'after',
        examples(
          'autoscaler status',
          'autoscaler status --fleet llm-demo -o wide',
          'autoscaler status --function OPS_FUNCTION --region us-east-1 --json',
        ),
      ),
  ).action((o) => ops('status', { ...o, output: o.json ? 'json' : (o.output as OpsOptions['output']) }));

  for (const name of ['plan', 'explain'] as const) {
    withTarget(
      program
        .command(name)
        .description('dry run: the decision the autoscaler would take now, with every reason (changes nothing)')
        .option('--fleet <id>', 'only this fleet (default: every fleet)')
        .addHelpText('after', examples(`autoscaler ${name}`, `autoscaler ${name} --fleet llm-demo --json`)),
    ).action((o) => ops(name, o));
  }

  withTarget(
    changing(
      program
        .command('scale')
        .description('set a manual target (fleet-wide, or one pool), audited; it lapses after --ttl or --expires-at')
        .requiredOption('--fleet <id>', 'the fleet')
        .requiredOption('--target <n>', 'nodes (a whole number >= 0)', integerOption(0))
        .option('--pool <id>', 'only this pool')
        .option('--ttl <duration>', 'lapse after 90s, 30m, 2h, 1d')
        .option('--expires-at <iso>', 'lapse at this time'),
    ).addHelpText(
      'after',
      examples(
        'autoscaler scale --fleet llm-demo --target 8 --ttl 2h --reason "launch event"',
        'autoscaler scale --fleet llm-demo --pool aws-g5-ondemand --target 4 --reason "pin on-demand"',
      ),
    ),
  ).action((o) => ops('scale', o));

  withTarget(
    changing(
      program
        .command('clear-target')
        .description("remove the fleet's manual target (one set without --ttl never lapses) and decide again")
        .requiredOption('--fleet <id>', 'the fleet'),
    ).addHelpText('after', examples('autoscaler clear-target --fleet llm-demo --reason "event over"')),
  ).action((o) => ops('clear-target', o));

  withTarget(
    changing(
      program
        .command('pause')
        .description('hands off: decisions are computed and logged, nothing is applied')
        .requiredOption('--fleet <id>', 'the fleet')
        .option('--ttl <duration>', 'lapse after 90s, 30m, 2h, 1d')
        .option('--expires-at <iso>', 'lapse at this time'),
    ).addHelpText('after', examples('autoscaler pause --fleet llm-demo --ttl 1h --reason "model rollout"')),
  ).action((o) => ops('pause', o));

  withTarget(
    changing(
      program.command('resume').description('end a pause and decide again').requiredOption('--fleet <id>', 'the fleet'),
    ).addHelpText('after', examples('autoscaler resume --fleet llm-demo --reason "rollout done"')),
  ).action((o) => ops('resume', o));

  withTarget(
    changing(
      program
        .command('drain')
        .description('cordon a node and evict its pods (PodDisruptionBudgets respected)')
        .requiredOption('--node <name>', 'a Kubernetes node name or a cloud instance id'),
    ).addHelpText('after', examples('autoscaler drain --node ip-10-0-1-17.ec2.internal --reason "bad GPU"')),
  ).action((o) => ops('drain', o));

  withTarget(
    program
      .command('history')
      .description('the audit trail: who changed what, when and why, newest first')
      .option('--fleet <id>', 'only this fleet (default: every fleet)')
      .option('--since <time>', 'from this ISO time, or this long ago (30m, 2h, 7d)')
      .option('--until <time>', 'up to this ISO time, or this long ago')
      .option(
        '--trigger <name>',
        'a function (alarm, forecast, schedule, ops, ...) or a signal type (metric-alarm, ...)',
      )
      .option('--actor <who>', 'only what this person or principal asked for')
      .option('--limit <n>', 'at most this many records per fleet (1-1000, default 50)', integerOption(1, 1000))
      .addHelpText(
        'after',
        examples(
          'autoscaler history',
          'autoscaler history --fleet llm-demo --since 24h --trigger ops --actor jdoe',
          'autoscaler history --since 2025-03-04T00:00:00Z --until 2025-03-05T00:00:00Z --json',
        ),
      ),
  ).action(async (o) => {
    const now = Date.now();
    const filter: HistoryFilter = {
      ...(o.since !== undefined ? { since: await ageOrTime('--since', o.since, now) } : {}),
      ...(o.until !== undefined ? { until: await ageOrTime('--until', o.until, now) } : {}),
      ...(o.trigger !== undefined ? { trigger: o.trigger } : {}),
      ...(o.actor !== undefined ? { actor: o.actor } : {}),
      ...(o.limit !== undefined ? { limit: o.limit } : {}),
    };
    if (filter.since && filter.until && filter.since > filter.until)
      throw new UsageError(`--since ${o.since} is after --until ${o.until}`);
    const { actor: _filter, ...rest } = o;
    await ops('history', { ...rest, history: filter });
  });

  program
    .command('advise')
    .description(
      'GPU rightsizing for a fleet: instance type (with tensor-parallel size), MIG profiles, spot share, warm pool and reservations, each simulated on its recorded demand ($/month, SLO)',
    )
    .option('--fleet <id>', 'the fleet (default: the only one configured)')
    .option('--config <file>', 'configuration (JSON or YAML)', DEFAULT_CONFIG)
    .option(
      '--from-metrics <hours>',
      "read the fleet's recorded demand from its metrics store (Prometheus): the last N hours",
      integerOption(1, 24 * 7),
    )
    .option('--prometheus <url>', "with --from-metrics: the Prometheus (default: the configuration's)")
    .option(
      '--trace <file.csv>',
      "the fleet's recorded demand as CSV, its columns read from the header as simulate reads them unless named " +
        "below (default: the simulation's business day for the fleet)",
    )
    .option('--time-column <name>', 'time column of the trace (default offset_s)')
    .addOption(
      new Option('--time-unit <unit>', 'for a numeric time column').choices(['ns', 'us', 'ms', 's', 'min', 'h']),
    )
    .option('--value-column <name>', 'value column of the trace (default requests)')
    .addOption(new Option('--value-unit <unit>', 'unit of the values (default count)').choices(['rps', 'rpm', 'count']))
    .option('--spot-trace <path>', 'spot availability file or folder (default: the seeded spot process)')
    .option('--hours <n>', 'hours of demand to simulate (default: the trace, or 24)', integerOption(1, 24 * 31))
    .option('--seed <n>', 'seed of the default day and the spot process', integerOption(0, 0xffffffff), 1)
    .option('--json', 'print the advice as JSON')
    .addHelpText(
      'after',
      examples(
        'autoscaler advise --fleet llm-demo',
        'autoscaler advise --fleet llm-demo --trace demand.csv --value-unit rps --hours 48 --json',
        'autoscaler advise --fleet llm-demo --from-metrics 168 --prometheus http://prometheus:9090',
      ),
    )
    .action(async (o) => {
      for (const k of ['timeColumn', 'timeUnit', 'valueColumn', 'valueUnit'] as const)
        if (o[k] !== undefined && o.trace === undefined)
          throw new UsageError('--time-column, --time-unit, --value-column and --value-unit need --trace');
      if (o.fromMetrics !== undefined && o.trace !== undefined)
        throw new UsageError('give --from-metrics or --trace, not both');
      if (o.prometheus !== undefined && o.fromMetrics === undefined)
        throw new UsageError('--prometheus needs --from-metrics');
      await checkReadable(
        io,
        [...(o.trace ? ['--trace', o.trace] : []), ...(o.spotTrace ? ['--spot-trace', o.spotTrace] : [])],
        ['--trace', '--spot-trace'],
      );
      const { runAdvise } = await import('./commands/advise.ts');
      done(await runAdvise(o, io));
    });

  const local = program
    .command('local')
    .description('the local world for other tools: serve it (Kubernetes over https, AWS) and print its kubeconfig');
  local
    .command('serve')
    .description(
      'serve the local world until Ctrl-C: a Kubernetes API server per cluster (https, its CA in the kubeconfig) and the AWS endpoint',
    )
    .option('--config <file>', 'configuration (JSON or YAML)', DEFAULT_CONFIG)
    .option('--state-dir <dir>', 'where the local world is kept', DEFAULT_STATE_DIR)
    .addHelpText('after', examples('autoscaler local serve', 'KUBECONFIG=.autoscaler/kubeconfig kubectl get nodes'))
    .action(async (o) => {
      const { runServe } = await import('./commands/local.ts');
      done(await runServe(o, io));
    });
  local
    .command('kubeconfig')
    .description("the kubeconfig of the served local clusters (while 'autoscaler local serve' runs)")
    .option('--state-dir <dir>', 'where the local world is kept', DEFAULT_STATE_DIR)
    .option('--cluster <name>', 'make this cluster the current context')
    .option('-o, --output <file>', 'write it to this file instead of printing it')
    .addHelpText(
      'after',
      examples('autoscaler local kubeconfig > kubeconfig.yaml', 'autoscaler local kubeconfig --cluster gpu-demo -o kc'),
    )
    .action(async (o) => {
      const { runKubeconfig } = await import('./commands/local.ts');
      done(await runKubeconfig(o, io));
    });

  withTarget(
    program
      .command('reset')
      .description('local world: forget the emulated clouds and the autoscaler table, and start over')
      .addHelpText('after', examples('autoscaler reset')),
  ).action(async (o) => {
    const { resetLocal } = await import('./commands/ops.ts');
    done(await resetLocal(o, io));
  });

  return program;
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  if (argv.length === 0) {
    io.stderr(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version asked for are a success; commander has already printed its error otherwise.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return EXIT.ok;
      return EXIT.usage;
    }
    const name = argv.find((a) => !a.startsWith('-')) ?? '';
    if (e instanceof UsageError) {
      io.stderr(`autoscaler ${name}: ${e.message}`);
      return EXIT.usage;
    }
    io.stderr(`autoscaler ${name}: ${messageOf(e)}`);
    return EXIT.failure;
  }
}
