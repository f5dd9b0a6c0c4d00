/**
 * The `autoscaler` command line. Each command lives in its own module, loaded only when used so that a
 * quick command does not pay for the cloud SDKs.
 */
import { type CliIo, type Command, processIo, UsageError } from './io.ts';

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  'parse-event': {
    summary: 'parse-event [FILE|-]       print the normalized signal of a raw event as JSON',
    load: async () => (await import('./commands/parse-event.ts')).parseEvent,
  },
  simulate: {
    summary: 'simulate [options]         run the offline simulation (see --help)',
    load: async () => (await import('./commands/simulate.ts')).simulate,
  },
  plan: {
    summary: 'plan --fleet ID            dry run: the decision the autoscaler would take now, explained',
    load: async () => (await import('./commands/ops.ts')).ops('plan'),
  },
};

/** Commands that the ops module serves (status, scale, pause, resume, drain, explain). */
for (const name of ['status', 'scale', 'pause', 'resume', 'drain', 'explain'] as const) {
  COMMANDS[name] = {
    summary: `${name.padEnd(26)} operator command (see --help)`,
    load: async () => (await import('./commands/ops.ts')).ops(name),
  };
}

function usage(): string {
  return [
    'usage: autoscaler <command> [options]',
    '',
    'commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.summary}`),
    '',
    'Add --json for machine-readable output where a command supports it.',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr(`autoscaler: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  try {
    const command = await entry.load();
    return await command(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`autoscaler ${name}: ${e.message}`);
      return 2;
    }
    io.stderr(`autoscaler ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
