/**
 * `autoscaler parse-event [--context FILE] [--now ISO] [FILE|-]` (options parsed in main.ts): prints the normalized signal or no-op of a
 * raw event as JSON (exit 0), or one line saying what is wrong with it (exit 2). Reads standard input when
 * FILE is `-` or absent. `--context` is a JSON `NormalizeContext` (alarm, dimension and tag mappings);
 * `--now` dates payloads that carry no time of their own (default: the current time).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type NormalizeContext, NormalizeContextSchema, normalizeEvent } from '../../../events/index.ts';
import { isParseError, ParseError } from '../../../shared/domain/errors.ts';
import { type CliIo, UsageError } from '../io.ts';

export interface ParseEventOptions {
  file: string;
  contextFile?: string;
  now?: string;
}

async function readText(file: string, io: CliIo): Promise<string> {
  if (file === '-') return io.readStdin();
  try {
    return await readFile(path.resolve(io.cwd, file), 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

async function loadContext(opts: ParseEventOptions, io: CliIo): Promise<NormalizeContext> {
  const now = opts.now === undefined ? new Date().toISOString() : new Date(opts.now).toISOString();
  if (opts.contextFile === undefined) return { now };
  let json: unknown;
  try {
    json = JSON.parse(await readText(opts.contextFile, io));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--context ${opts.contextFile}: not JSON (${(e as Error).message})`);
  }
  const r = NormalizeContextSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UsageError(`--context ${opts.contextFile}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return { now, ...r.data };
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');

/** Prints the signal (exit 0) or one line saying what is wrong with the event (exit 2). */
export async function runParseEvent(opts: ParseEventOptions, io: CliIo): Promise<number> {
  const ctx = await loadContext(opts, io);
  const text = await readText(opts.file, io);
  const label = opts.file === '-' ? 'stdin' : opts.file;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const error = new ParseError(label, '', 'a JSON document', { received: (e as Error).message });
    io.stderr(oneLine(`autoscaler parse-event: ${error.message}`));
    return 2;
  }
  try {
    io.stdout(JSON.stringify(normalizeEvent(raw, ctx), null, 2));
    return 0;
  } catch (e) {
    if (!isParseError(e)) throw e;
    io.stderr(oneLine(`autoscaler parse-event: ${e.message}`));
    return 2;
  }
}
