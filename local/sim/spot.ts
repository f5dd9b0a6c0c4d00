/**
 * Spot availability: how many spot instances each spot pool can hold in each zone over the run, as a
 * schedule of capacity changes that the runner applies with `World.setSpotCapacity` (the World then takes
 * the excess back with each cloud's own notice).
 *
 * Two sources:
 * - traces in the format of `../shared/traces/spot_availability` (`{"metadata":{"gap_seconds":G},"data":[n0,...]}`:
 *   the number of spot instances a zone let its owner keep at each step), from a file or a folder of them;
 * - by default, a seeded process with the preemption rate and availability those traces show (below).
 *
 * Mapping onto the fleet: the spot "slots" are the (spot pool, zone) pairs of the fleet, in pool order then
 * zone order; a slot may hold at most `ceil(pool.max / zones)` instances. Trace series are assigned to the
 * slots round-robin (slot i gets series i mod n, series sorted by path), and a series' counts are scaled to
 * the slot: capacity = round(n_t / max(series) x slot max). A series shorter than the run repeats.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { mulberry32, type WorldPoolSpec } from '../emulators/world.ts';

export interface SpotSeries {
  /** Path relative to the folder given (or the file name), e.g. `AWS1/us-east-1f_v100_1.json`. */
  name: string;
  gapSeconds: number;
  /** Instances available at each step. */
  data: number[];
}

/** A spot pool's zone: where a series or the default process sets capacity. */
export interface SpotSlot {
  poolId: string;
  zone: string;
  /** Most instances the slot can hold: ceil(pool max / zones). */
  max: number;
}

export interface SpotChange {
  /** Seconds from the start of the run. */
  t: number;
  poolId: string;
  zone: string;
  capacity: number;
}

export interface SpotSchedule {
  /** `default process (seed N)` or the path of the traces. */
  source: string;
  /** Sorted by time; at t = 0 every slot's starting capacity. */
  changes: SpotChange[];
  /** Which series (or process) drives each slot. */
  mapping: Array<SpotSlot & { series: string }>;
}

export class SpotTraceError extends Error {
  readonly file: string;
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'SpotTraceError';
    this.file = file;
  }
}
export const isSpotTraceError = (e: unknown): e is SpotTraceError => e instanceof SpotTraceError;

// ---------------------------------------------------------------------------------------------------------
// The default process

/**
 * Preemptions per instance-hour held, pooled over the 20 zones of `../shared/traces/spot_availability`
 * that ever had capacity (summary.csv): 5,532 instances lost over 19,304 instance-hours held
 * (sum of instances_lost_total / sum of mean_available x n_slots x gap_s / 3600). By set: AWS 0.288, GCP 0.223.
 */
export const DEFAULT_SPOT_HAZARD_PER_HOUR = 0.287;
/**
 * Share of a zone's spot target that was available, time-weighted over the same zones
 * (sum of mean_available x n_slots x gap_s / sum of target_instances x n_slots x gap_s).
 */
export const DEFAULT_SPOT_AVAILABILITY = 0.604;

export interface SpotProcessOptions {
  seed: number;
  slots: SpotSlot[];
  durationSeconds: number;
  /** Default DEFAULT_SPOT_HAZARD_PER_HOUR. */
  hazardPerHour?: number;
  /** Default DEFAULT_SPOT_AVAILABILITY. */
  availability?: number;
}

/**
 * The default spot process: each of a slot's `max` places is an independent two-state (available /
 * taken back) Markov process. An available place is lost at rate lambda = hazardPerHour; a lost one comes
 * back at rate mu = lambda x a / (1 - a), so that it is available a share a of the time (a = availability);
 * at the start each place is available with probability a. The slot's capacity is the number of available
 * places. A fleet that holds every available place (as the traces' owners tried to) loses lambda instances
 * per instance-hour, the traces' own rate; a fleet that holds fewer loses fewer, since a lost place it was
 * not using takes nothing from it.
 */
export function defaultSpotProcess(options: SpotProcessOptions): SpotSchedule {
  const lambda = (options.hazardPerHour ?? DEFAULT_SPOT_HAZARD_PER_HOUR) / 3600;
  const a = options.availability ?? DEFAULT_SPOT_AVAILABILITY;
  if (!(lambda >= 0) || !(a > 0 && a <= 1))
    throw new Error('spot process: hazard must be >= 0 and availability in (0, 1]');
  const mu = a < 1 ? (lambda * a) / (1 - a) : Number.POSITIVE_INFINITY;
  const rand = mulberry32(options.seed ^ 0x5f0715);
  const exp = (rate: number) => (rate === Number.POSITIVE_INFINITY ? 0 : -Math.log(1 - rand()) / rate);
  const changes: SpotChange[] = [];
  for (const slot of options.slots) {
    // Per place: the times its state flips. Merge them into capacity changes.
    const deltas: Array<{ t: number; d: number }> = [];
    let initial = 0;
    for (let p = 0; p < slot.max; p++) {
      let up = rand() < a;
      if (up) initial++;
      let t = 0;
      for (;;) {
        const wait = exp(up ? lambda : mu);
        if (!Number.isFinite(wait)) break;
        t += wait;
        if (t >= options.durationSeconds) break;
        up = !up;
        deltas.push({ t: Math.round(t), d: up ? 1 : -1 });
      }
    }
    changes.push({ t: 0, poolId: slot.poolId, zone: slot.zone, capacity: initial });
    deltas.sort((x, y) => x.t - y.t);
    let capacity = initial;
    for (let i = 0; i < deltas.length; ) {
      const t = deltas[i]!.t;
      let sum = 0;
      while (i < deltas.length && deltas[i]!.t === t) sum += deltas[i++]!.d;
      if (sum === 0) continue;
      capacity += sum;
      changes.push({ t, poolId: slot.poolId, zone: slot.zone, capacity });
    }
  }
  return {
    source: `default process (seed ${options.seed}, ${(lambda * 3600).toFixed(3)}/instance-hour, availability ${a})`,
    changes: sortChanges(changes),
    mapping: options.slots.map((s) => ({ ...s, series: 'default process' })),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Traces

/** Parses one spot availability file. */
export function parseSpotSeries(text: string, name: string): SpotSeries {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SpotTraceError(name, `not JSON: ${(e as Error).message}`);
  }
  const o = doc as { metadata?: { gap_seconds?: unknown }; data?: unknown };
  const gap = o?.metadata?.gap_seconds;
  if (typeof gap !== 'number' || !(gap > 0)) {
    throw new SpotTraceError(name, 'expected metadata.gap_seconds, a number of seconds > 0');
  }
  if (!Array.isArray(o.data) || o.data.length === 0) throw new SpotTraceError(name, 'expected data, a non-empty array');
  const data = o.data.map((n, i) => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new SpotTraceError(name, `data[${i}]: expected a whole number >= 0, got ${JSON.stringify(n)}`);
    }
    return n;
  });
  return { name, gapSeconds: gap, data };
}

/** Loads a spot availability file, or every `.json` file under a folder (recursively, sorted by path). */
export async function loadSpotTraces(path: string): Promise<SpotSeries[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (e) {
    throw new SpotTraceError(path, `cannot read: ${(e as Error).message}`);
  }
  const files = info.isDirectory() ? (await listJson(path)).sort() : [path];
  if (files.length === 0) throw new SpotTraceError(path, 'no .json spot availability files in this folder');
  const out: SpotSeries[] = [];
  for (const f of files) {
    const name = info.isDirectory() ? relative(path, f) : (f.split(/[\\/]/).pop() ?? f);
    out.push(parseSpotSeries(await readFile(f, 'utf8'), name));
  }
  return out;
}

async function listJson(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listJson(p)));
    else if (entry.isFile() && entry.name.endsWith('.json')) out.push(p);
  }
  return out;
}

/** A schedule from trace series (see the file comment for the mapping), over `durationSeconds`. */
export function scheduleFromTraces(
  series: SpotSeries[],
  slots: SpotSlot[],
  durationSeconds: number,
  source = 'spot traces',
): SpotSchedule {
  if (series.length === 0) throw new SpotTraceError(source, 'no spot series');
  const changes: SpotChange[] = [];
  const mapping: SpotSchedule['mapping'] = [];
  slots.forEach((slot, i) => {
    const s = series[i % series.length]!;
    mapping.push({ ...slot, series: s.name });
    const peak = Math.max(1, ...s.data);
    const scaled = (n: number) => Math.round((n / peak) * slot.max);
    let last: number | undefined;
    for (let k = 0; k * s.gapSeconds < durationSeconds; k++) {
      const capacity = scaled(s.data[k % s.data.length]!);
      if (capacity !== last) changes.push({ t: k * s.gapSeconds, poolId: slot.poolId, zone: slot.zone, capacity });
      last = capacity;
    }
  });
  return { source, changes: sortChanges(changes), mapping };
}

/** The spot slots of a fleet: each spot pool's zones, in order, with ceil(max / zones) places each. */
export function spotSlots(pools: readonly WorldPoolSpec[]): SpotSlot[] {
  const out: SpotSlot[] = [];
  for (const p of pools) {
    if (p.capacityType !== 'spot') continue;
    const max = Math.ceil(p.max / p.zones.length);
    for (const zone of p.zones) out.push({ poolId: p.id, zone, max });
  }
  return out;
}

/** A slot's capacity at `t` seconds (its latest change at or before t); Infinity for a slot not in the schedule. */
export function capacityAt(schedule: SpotSchedule, poolId: string, zone: string, t: number): number {
  let c = Number.POSITIVE_INFINITY;
  for (const ch of schedule.changes) {
    if (ch.t > t) break;
    if (ch.poolId === poolId && ch.zone === zone) c = ch.capacity;
  }
  return c;
}

/** Instances the schedule takes back if every slot is held full: the sum of its drops. */
export function lossesWhenFull(schedule: SpotSchedule): number {
  const last = new Map<string, number>();
  let lost = 0;
  for (const ch of schedule.changes) {
    const key = `${ch.poolId}|${ch.zone}`;
    const prev = last.get(key);
    if (prev !== undefined && ch.capacity < prev) lost += prev - ch.capacity;
    last.set(key, ch.capacity);
  }
  return lost;
}

function sortChanges(changes: SpotChange[]): SpotChange[] {
  // Stable: equal times keep slot order.
  return changes
    .map((c, i) => ({ c, i }))
    .sort((x, y) => x.c.t - y.c.t || x.i - y.i)
    .map((x) => x.c);
}
