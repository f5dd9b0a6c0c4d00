/**
 * The chaos benchmark's pieces that can be wrong on their own: the table's verdicts, the mutations and the
 * judge of hostile events, the quantiles of the mass reclaim, the fault specs per cloud.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listSamples, loadSample } from '../../events/samples.ts';
import { FAULTS, faultSpecs } from '../../bench/chaos/faults.ts';
import { judge } from '../../bench/chaos/hostile.ts';
import { badIds, type Json, mutate, pathsOf, prng } from '../../bench/chaos/mutate.ts';
import { quantile } from '../../bench/chaos/reclaim.ts';
import { pass, renderTable, type Row, summary } from '../../bench/chaos/table.ts';

const NOW = '2025-03-04T09:00:00.000Z';

describe('table', () => {
  const ok: Row = { name: 'a', scale: '1 event', failures: { crashes: 0 } };
  const bad: Row = { name: 'b', scale: '1 event', failures: { crashes: 0, 'lost updates': 2 } };
  const broken: Row = { name: 'c', scale: '', failures: {}, error: 'emulator did not start' };

  it.each([
    { name: 'every counter 0 passes', row: ok, expected: true },
    { name: 'one counter above 0 misses', row: bad, expected: false },
    { name: 'a row that could not run misses, with no counter at all', row: broken, expected: false },
  ])('$name', ({ row, expected }) => {
    expect(pass(row)).toBe(expected);
  });

  it('renders one Markdown row per scenario and the summary last', () => {
    const text = renderTable([ok, bad, broken]);
    const lines = text.split('\n');
    expect(lines[0]).toBe('| scenario | scale | wrong outcomes (each must be 0) | figures | result |');
    expect(lines[2]).toMatch(/^\| a \| 1 event \| crashes 0 \| {2}\| PASS \|$/);
    expect(lines[3]).toMatch(/lost updates 2 \| {2}\| MISS \|$/);
    expect(lines[4]).toMatch(/could not run: emulator did not start/);
    expect(lines.at(-1)).toBe(summary([ok, bad, broken]));
    expect(summary([ok, bad, broken])).toBe('chaos: 1/3 PASS, 2 MISS, 2 wrong outcomes in all');
  });

  it('escapes a pipe inside a cell', () => {
    expect(renderTable([{ ...ok, figures: 'a|b' }])).toContain('a\\|b');
  });
});

describe('mutations', () => {
  const doc = loadSample('aws-spot-interruption') as Json;

  it('the same seed gives the same events, another seed others', () => {
    const run = (seed: number) => {
      const r = prng(seed);
      return Array.from({ length: 50 }, () => JSON.stringify(mutate(doc, r).doc));
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it('never changes the original, and each mutation changes the copy', () => {
    const before = JSON.stringify(doc);
    const r = prng(3);
    let changed = 0;
    for (let k = 0; k < 200; k++) if (JSON.stringify(mutate(doc, r).doc) !== before) changed++;
    expect(JSON.stringify(doc)).toBe(before);
    // A truncation can keep a value whole (keep >= its length); nearly all change something.
    expect(changed).toBeGreaterThan(180);
  });

  it('reaches every path, the root included', () => {
    const paths = pathsOf(doc).map((p) => p.join('.'));
    expect(paths).toContain('');
    expect(paths).toContain('detail.instance-id');
    const r = prng(4);
    const hit = new Set<string>();
    for (let k = 0; k < 2_000; k++) hit.add(mutate(doc, r).what.split(' ')[1]!);
    expect(hit.size).toBe(paths.length);
  });
});

describe('the judge of hostile events', () => {
  it.each(
    listSamples()
      .filter((s) => s.name === 'valid')
      .slice(0, 12),
  )('a valid sample ($source) is not a failure', (s) => {
    const v = judge(JSON.parse(readFileSync(s.file, 'utf8')), NOW);
    expect(['signal', 'no-op', 'rejected']).toContain(v.verdict);
  });

  it('a malformed event is rejected', () => {
    const e = loadSample<Record<string, unknown>>('aws-spot-interruption');
    expect(judge({ ...e, detail: { 'instance-id': 7 } }, NOW).verdict).toBe('rejected');
  });

  it.each([
    { name: 'a placeholder instance id', signal: { eventId: 'e', instanceIds: ['[instance-id]'] }, bad: /placeholder/ },
    { name: 'a printf placeholder', signal: { eventId: 'e', instanceIds: ['i-%s'] }, bad: /placeholder/ },
    { name: 'an id over 1,024 characters', signal: { eventId: 'e'.repeat(1025) }, bad: /1025 characters/ },
    { name: 'ordinary ids', signal: { eventId: 'e-1', instanceIds: ['i-0abc'], poolId: 'p' }, bad: undefined },
  ])('id rules: $name', ({ signal, bad }) => {
    const why = badIds(signal);
    if (bad) expect(why).toMatch(bad);
    else expect(why).toBeUndefined();
  });
});

describe('reclaim quantiles', () => {
  it.each([
    { values: [5, 1, 3], q: 0.5, expected: 3 },
    { values: [5, 1, 3], q: 1, expected: 5 },
    { values: [5, 1, 3], q: 0, expected: 1 },
    { values: [4], q: 0.5, expected: 4 },
  ])('$q of $values is $expected', ({ values, q, expected }) => {
    expect(quantile(values, q)).toBe(expected);
  });

  it('no values: NaN (printed as never)', () => {
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('fault specs', () => {
  it.each(['aws', 'azure', 'gcp'] as const)(
    '%s: every fault targets its resize, API down its whole service',
    (cloud) => {
      for (const fault of FAULTS) {
        const specs = faultSpecs(cloud, fault);
        expect(specs.length).toBeGreaterThan(0);
        for (const s of specs) {
          if (fault === 'api-down') {
            expect(s.kind).toBe('server-error');
            expect(s.operation).toBeUndefined();
          } else expect(s).toMatchObject({ kind: fault, operation: expect.any(String) });
        }
      }
    },
  );
});
