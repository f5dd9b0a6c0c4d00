/**
 * Flag values of the `autoscaler` command, checked while the command line is parsed (before anything
 * starts): whole numbers in a range (negative ones included, and refused where they make no sense),
 * durations, and times given as ISO or as an age (`2h` = two hours ago). The event schemas (and zod) are
 * loaded only when a duration is read, so that `--version`, `--help` and a rejected command stay quick.
 */
import { InvalidArgumentError } from '@commander-js/extra-typings';
import { UsageError } from './io.ts';

export const DEFAULT_CONFIG = 'config/demo.json';
/** The local world (emulated clouds) and the autoscaler's table, between commands. */
export const DEFAULT_STATE_DIR = '.autoscaler';

export interface HistoryFilter {
  since?: string;
  until?: string;
  trigger?: string;
  actor?: string;
  limit?: number;
}

/** What an operator command was given on the command line. */
export interface OpsOptions {
  fleet?: string;
  pool?: string;
  target?: number;
  reason?: string;
  actor?: string;
  ttl?: string;
  expiresAt?: string;
  node?: string;
  dryRun?: boolean;
  json?: boolean;
  output?: 'table' | 'wide' | 'json';
  config: string;
  stateDir: string;
  function?: string;
  region?: string;
  history?: HistoryFilter;
  /** Local world: seconds to let pass before the command. */
  advanceSeconds?: number;
}

/** A whole number in [min, max] (a negative one is parsed, and refused when min is 0 or more). */
export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    // Decimal digits only, as the events take numbers (no 0x10, no ' 5 ', no 1e3).
    const n = /^-?\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`expected a whole number ${range}.`);
    }
    return n;
  };
}

/** Seconds in a duration such as 90s, 30m, 2h, 1d (a usage error otherwise). */
export async function durationOption(flag: string, value: string): Promise<number> {
  const { durationSeconds } = await import('../../events/schemas/ops/operator-command.ts');
  const s = durationSeconds(value);
  if (s === undefined) throw new UsageError(`${flag} must be a duration such as 90s, 30m, 2h or 1d, got ${value}`);
  return s;
}

/** A date (`2025-03-04`, midnight UTC) or an ISO time with its zone, as the events take them; else undefined. */
export async function isoTimeArg(value: string): Promise<string | undefined> {
  const { parseIsoTime } = await import('../../events/fields.ts');
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? parseIsoTime(`${value}T00:00:00Z`) : parseIsoTime(value);
}

/**
 * An ISO time, or an age (`30m`, `2h`, `7d`) counted back from now; returned as ISO. Not what `Date.parse`
 * makes of any text (`1` read as 2001-01-01, `may 3`), and not an age reaching before 1970.
 */
export async function ageOrTime(flag: string, value: string, now: number): Promise<string> {
  const { durationSeconds } = await import('../../events/schemas/ops/operator-command.ts');
  const age = durationSeconds(value);
  if (age !== undefined) {
    const t = now - age * 1000;
    if (!(t >= 0)) throw new UsageError(`${flag} ${value} reaches back before 1970`);
    return new Date(t).toISOString();
  }
  const t = await isoTimeArg(value);
  if (t === undefined)
    throw new UsageError(
      `${flag} must be an ISO time or an age such as 30m, 2h, 7d (a time with its zone: 2025-03-04T10:15:00Z), got ${value}`,
    );
  return t;
}

/** `kubectl`-style age: 45s, 12m, 3h5m, 2d4h. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) {
    const m = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)}h${m ? `${m}m` : ''}`;
  }
  const h = Math.floor((s % 86_400) / 3600);
  return `${Math.floor(s / 86_400)}d${h ? `${h}h` : ''}`;
}
