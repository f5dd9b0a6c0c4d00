import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoFleet } from '../../local/sim/demo.ts';
import {
  capacityAt,
  DEFAULT_SPOT_AVAILABILITY,
  DEFAULT_SPOT_HAZARD_PER_HOUR,
  defaultSpotProcess,
  isSpotTraceError,
  loadSpotTraces,
  lossesWhenFull,
  parseSpotSeries,
  type SpotSchedule,
  type SpotSlot,
  scheduleFromTraces,
  spotSlots,
} from '../../local/sim/spot.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const spotDir = path.resolve(repoRoot, '..', 'shared', 'traces', 'spot_availability');
const haveSpot = existsSync(spotDir);

const series = (name: string, gap: number, data: number[]) => ({ name, gapSeconds: gap, data });

describe('parseSpotSeries', () => {
  it('reads the spot_availability format', () => {
    expect(parseSpotSeries('{"metadata":{"gap_seconds":300},"data":[4,4,1,0]}', 'z.json')).toEqual({
      name: 'z.json',
      gapSeconds: 300,
      data: [4, 4, 1, 0],
    });
  });

  it.each([
    { name: 'not JSON', text: '{', message: /z\.json: not JSON/ },
    { name: 'no gap', text: '{"data":[1]}', message: /metadata\.gap_seconds/ },
    { name: 'zero gap', text: '{"metadata":{"gap_seconds":0},"data":[1]}', message: /metadata\.gap_seconds/ },
    { name: 'no data', text: '{"metadata":{"gap_seconds":60}}', message: /non-empty array/ },
    {
      name: 'a fraction',
      text: '{"metadata":{"gap_seconds":60},"data":[1,0.5]}',
      message: /data\[1\]: expected a whole number >= 0, got 0\.5/,
    },
    { name: 'a negative count', text: '{"metadata":{"gap_seconds":60},"data":[-1]}', message: /data\[0\]/ },
  ])('rejects $name', ({ text, message }) => {
    let err: unknown;
    try {
      parseSpotSeries(text, 'z.json');
    } catch (e) {
      err = e;
    }
    expect(isSpotTraceError(err)).toBe(true);
    expect((err as Error).message).toMatch(message);
  });
});

describe('loadSpotTraces', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'spot-'));
    await mkdir(path.join(dir, 'B'));
    await mkdir(path.join(dir, 'A'));
    await writeFile(path.join(dir, 'B', 'z1.json'), '{"metadata":{"gap_seconds":60},"data":[2,1]}');
    await writeFile(path.join(dir, 'A', 'z2.json'), '{"metadata":{"gap_seconds":120},"data":[1]}');
    await writeFile(path.join(dir, 'A', 'notes.txt'), 'ignored');
    await mkdir(path.join(dir, 'empty'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads every .json under a folder, sorted by path', async () => {
    const s = await loadSpotTraces(dir);
    expect(s.map((x) => x.name)).toEqual([path.join('A', 'z2.json'), path.join('B', 'z1.json')]);
  });

  it('loads one file', async () => {
    const s = await loadSpotTraces(path.join(dir, 'B', 'z1.json'));
    expect(s).toEqual([{ name: 'z1.json', gapSeconds: 60, data: [2, 1] }]);
  });

  it('says what is wrong with a path', async () => {
    await expect(loadSpotTraces(path.join(dir, 'nope'))).rejects.toThrow(/nope: cannot read/);
    await expect(loadSpotTraces(path.join(dir, 'empty'))).rejects.toThrow(/no \.json spot availability files/);
  });
});

describe('scheduleFromTraces', () => {
  const slots: SpotSlot[] = [
    { poolId: 'p', zone: 'a', max: 8 },
    { poolId: 'p', zone: 'b', max: 8 },
    { poolId: 'q', zone: 'c', max: 2 },
  ];

  it('assigns series round-robin, scales counts to the slot and keeps only changes', () => {
    const s = scheduleFromTraces([series('s1', 300, [4, 4, 2, 0]), series('s2', 600, [1, 0])], slots, 1200);
    expect(s.mapping.map((m) => `${m.poolId}/${m.zone}<-${m.series}`)).toEqual(['p/a<-s1', 'p/b<-s2', 'q/c<-s1']);
    const of = (pool: string, zone: string) =>
      s.changes.filter((c) => c.poolId === pool && c.zone === zone).map((c) => [c.t, c.capacity]);
    // s1 peaks at 4: 4 -> 8 of 8, 2 -> 4, 0 -> 0; repeated values are not changes.
    expect(of('p', 'a')).toEqual([
      [0, 8],
      [600, 4],
      [900, 0],
    ]);
    // s2 peaks at 1: all or nothing; 1200 s is the end of the run.
    expect(of('p', 'b')).toEqual([
      [0, 8],
      [600, 0],
    ]);
    // A slot of 2: 2 of 4 -> 1.
    expect(of('q', 'c')).toEqual([
      [0, 2],
      [600, 1],
      [900, 0],
    ]);
    expect(s.changes.map((c) => c.t)).toEqual([...s.changes.map((c) => c.t)].sort((x, y) => x - y));
  });

  it('repeats a series shorter than the run', () => {
    const s = scheduleFromTraces([series('s', 60, [1, 0])], [{ poolId: 'p', zone: 'a', max: 3 }], 300);
    expect(s.changes.map((c) => [c.t, c.capacity])).toEqual([
      [0, 3],
      [60, 0],
      [120, 3],
      [180, 0],
      [240, 3],
    ]);
    expect(capacityAt(s, 'p', 'a', 130)).toBe(3);
    expect(capacityAt(s, 'p', 'a', 60)).toBe(0);
    expect(capacityAt(s, 'p', 'other', 60)).toBe(Number.POSITIVE_INFINITY);
    // Two drops of 3 within 300 s.
    expect(lossesWhenFull(s)).toBe(6);
  });

  it('maps onto the demo fleet: every spot pool zone, ceil(max / zones) places each', () => {
    const slotsOfDemo = spotSlots(demoFleet().worldPools);
    expect(slotsOfDemo).toEqual([
      { poolId: 'aws-g5-spot', zone: 'us-east-1a', max: 12 },
      { poolId: 'aws-g5-spot', zone: 'us-east-1b', max: 12 },
      { poolId: 'azure-a100-spot', zone: '1', max: 6 },
      { poolId: 'azure-a100-spot', zone: '2', max: 6 },
    ]);
  });
});

describe('defaultSpotProcess', () => {
  const slots: SpotSlot[] = [
    { poolId: 'p', zone: 'a', max: 10 },
    { poolId: 'q', zone: 'b', max: 10 },
  ];
  const days = 30;
  const run = (seed: number) => defaultSpotProcess({ seed, slots, durationSeconds: days * 86_400 });

  /** Time-weighted share of places available. */
  const availability = (s: SpotSchedule) => {
    let total = 0;
    for (const slot of slots) {
      const ch = s.changes.filter((c) => c.poolId === slot.poolId && c.zone === slot.zone);
      ch.forEach((c, i) => {
        const end = i + 1 < ch.length ? ch[i + 1]!.t : days * 86_400;
        total += c.capacity * (end - c.t);
      });
    }
    return total / (slots.reduce((n, s) => n + s.max, 0) * days * 86_400);
  };

  it('repeats for a seed and differs between seeds', () => {
    expect(run(3).changes).toEqual(run(3).changes);
    expect(run(3).changes).not.toEqual(run(4).changes);
  });

  it('takes places back at the traces rate and keeps them available the traces share of the time', () => {
    const s = run(11);
    const a = availability(s);
    expect(Math.abs(a - DEFAULT_SPOT_AVAILABILITY)).toBeLessThan(0.05);
    // Expected losses when every available place is held: lambda x available place-hours
    // = 0.287 x (0.604 x 20 places x 720 h) ~ 2,496; the Poisson spread is ~50, so 10% is far outside chance.
    const placeHours = a * 20 * days * 24;
    const rate = lossesWhenFull(s) / placeHours;
    expect(Math.abs(rate / DEFAULT_SPOT_HAZARD_PER_HOUR - 1)).toBeLessThan(0.1);
  });

  it('never goes below 0 or above the slot', () => {
    const s = run(5);
    expect(s.changes.every((c) => c.capacity >= 0 && c.capacity <= 10)).toBe(true);
    expect(s.changes.filter((c) => c.t === 0)).toHaveLength(2);
  });

  it('with no hazard, keeps the starting capacity all along', () => {
    const s = defaultSpotProcess({ seed: 1, slots, durationSeconds: 86_400, hazardPerHour: 0, availability: 1 });
    expect(s.changes).toEqual([
      { t: 0, poolId: 'p', zone: 'a', capacity: 10 },
      { t: 0, poolId: 'q', zone: 'b', capacity: 10 },
    ]);
  });
});

describe.skipIf(!haveSpot)('the real spot traces in ../shared/traces/spot_availability (skipped when absent)', () => {
  it('the default rates are those of summary.csv', () => {
    const rows = readFileSync(path.join(spotDir, 'summary.csv'), 'utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/);
    const header = rows[0]!.split(',');
    const col = (r: string[], name: string) => Number(r[header.indexOf(name)]);
    let lost = 0;
    let heldSeconds = 0;
    let targetSeconds = 0;
    for (const line of rows.slice(1)) {
      const r = line.split(',');
      if (col(r, 'mean_available') === 0) continue; // a zone that never had capacity holds nothing
      const seconds = col(r, 'n_slots') * col(r, 'gap_s');
      lost += col(r, 'instances_lost_total');
      heldSeconds += col(r, 'mean_available') * seconds;
      targetSeconds += col(r, 'target_instances') * seconds;
    }
    expect(lost / (heldSeconds / 3600)).toBeCloseTo(DEFAULT_SPOT_HAZARD_PER_HOUR, 3);
    expect(heldSeconds / targetSeconds).toBeCloseTo(DEFAULT_SPOT_AVAILABILITY, 3);
  });

  it('loads the whole folder and maps it onto the demo fleet', async () => {
    const all = await loadSpotTraces(spotDir);
    // AWS1 3 zones, AWS2 3, AWS3 9, GCP1 6.
    expect(all).toHaveLength(21);
    expect(new Set(all.map((s) => s.gapSeconds))).toEqual(new Set([150, 300]));
    const demo = demoFleet();
    const schedule = scheduleFromTraces(all, spotSlots(demo.worldPools), 86_400, spotDir);
    expect(schedule.mapping.map((m) => m.series)).toEqual(all.slice(0, 4).map((s) => s.name));
    // AWS1/us-east-1f starts with no capacity at all.
    expect(capacityAt(schedule, 'aws-g5-spot', 'us-east-1a', 0)).toBe(0);
    expect(lossesWhenFull(schedule)).toBeGreaterThan(0);
  });
});
