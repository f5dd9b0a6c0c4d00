/** Parquet traces (local/sim/trace-parquet.ts): read as the CSV of their scalar columns. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordsCsv } from '../../local/sim/records-csv.ts';
import {
  detectTrace,
  isTraceFile,
  loadDetectedTrace,
  readDetectedTrace,
  traceName,
} from '../../local/sim/trace-detect.ts';
import { TraceError } from '../../local/sim/trace.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'trace-parquet-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function parquetFile(name: string, columnData: Parameters<typeof parquetWriteBuffer>[0]['columnData']) {
  const file = path.join(dir, name);
  await writeFile(file, new Uint8Array(parquetWriteBuffer({ columnData })));
  return file;
}

describe('Parquet traces', () => {
  it('reads a log of requests with a TIMESTAMP column: counted per minute and dated', async () => {
    const start = Date.UTC(2023, 10, 16, 18, 0, 0);
    // 30 requests in each of four minutes.
    const times = Array.from({ length: 120 }, (_, i) => new Date(start + i * 2000));
    const file = await parquetFile('log.parquet', [
      { name: 'TIMESTAMP', data: times, type: 'TIMESTAMP' },
      { name: 'ContextTokens', data: times.map((_, i) => BigInt(100 + i)), type: 'INT64' },
      { name: 'Model', data: times.map(() => 'gpt'), type: 'STRING' },
    ]);
    const d = await readDetectedTrace(file);
    expect(d.layout).toBe('Parquet: TIMESTAMP (ISO-8601), one request per row, counted per minute');
    expect(d.trace.points.map((p) => p.rps * 60)).toEqual([30, 30, 30, 30]);
    expect(d.originMs).toBe(start);
  });

  it('reads a per-minute table with numeric offsets and a demand column, edges cut as for CSV', async () => {
    const file = await parquetFile('minutes.parquet', [
      { name: 'minute', data: [0, 1, 2, 3, 4, 5], type: 'INT32' },
      { name: 'rpm', data: [600, 1200, 1800, 600, 1200, 1800], type: 'DOUBLE' },
    ]);
    const d = await loadDetectedTrace(file);
    expect(d.layout).toMatch(/^Parquet: minute \(min\) x rpm \(rpm\); without its first and last interval/);
    expect(d.trace.points.map((p) => p.rps)).toEqual([20, 30, 10, 20]);
  });

  it("counts a log from its time column alone, with a CSV log's figures", async () => {
    // BurstGPT's layout: seconds from the start, a request each, beside its model and token counts.
    const times = Array.from({ length: 600 }, (_, i) => i * 0.7 + (i % 3) * 0.1);
    const file = await parquetFile('burst.parquet', [
      { name: 'Timestamp', data: times, type: 'DOUBLE' },
      { name: 'Model', data: times.map((_, i) => (i % 2 ? 'ChatGPT' : 'GPT-4')), type: 'STRING' },
      { name: 'Request tokens', data: times.map((_, i) => i), type: 'INT32' },
    ]);
    const csv = `Timestamp,Model,Request tokens\n${times.map((t, i) => `${t},${i % 2 ? 'ChatGPT' : 'GPT-4'},${i}`).join('\n')}\n`;
    const d = await readDetectedTrace(file);
    expect(d.layout).toBe('Parquet: Timestamp (s), one request per row, counted per minute');
    expect(d.trace).toEqual({ ...detectTrace(csv, file).trace });
  });

  it('reads a log whose times are text in another form through the CSV path; a missing time is named by its row', async () => {
    const text = await parquetFile('text.parquet', [
      { name: 'time', data: ['11/16/2023 18:00:05', '11/16/2023 18:00:50', '11/16/2023 18:01:10'], type: 'STRING' },
    ]);
    const d = await readDetectedTrace(text);
    expect(d.trace.points.map((p) => p.rps * 60)).toEqual([2, 1]);
    expect(d.originMs).toBe(Date.UTC(2023, 10, 16, 18, 0));
    const gap = await parquetFile('gap.parquet', [{ name: 'offset_s', data: [0, 30, null, 90], type: 'DOUBLE' }]);
    await expect(readDetectedTrace(gap, 'gap.parquet')).rejects.toThrow(
      /gap\.parquet: expected a time like the first row's in column 'offset_s', row 3, got 'null'/,
    );
  });

  it('names the file and why when it is not Parquet, or holds no rows', async () => {
    const bad = path.join(dir, 'not.parquet');
    await writeFile(bad, 'offset_s,requests\n0,1\n');
    await expect(readDetectedTrace(bad, 'not.parquet')).rejects.toThrow(TraceError);
    await expect(readDetectedTrace(bad, 'not.parquet')).rejects.toThrow(
      /not\.parquet: cannot read the trace as Parquet/,
    );
    const empty = await parquetFile('empty.parquet', [{ name: 'offset_s', data: [], type: 'INT32' }]);
    await expect(readDetectedTrace(empty, 'empty.parquet')).rejects.toThrow(/empty\.parquet: expected rows/);
  });

  it('is a trace file the benchmark finds, named without its kind', () => {
    expect(isTraceFile('traces/burst.parquet')).toBe(true);
    expect(isTraceFile('traces/burst.parquet.gz')).toBe(false);
    expect(traceName('traces/burst.parquet')).toBe('traces/burst');
  });
});

describe('RecordsCsv', () => {
  it('writes dates as ISO-8601 and big integers as numbers, and leaves lists and objects out', () => {
    const r = new RecordsCsv();
    r.add({ at: new Date(Date.UTC(2024, 0, 1)), n: 12345678901234567890n, tags: ['a'], meta: { a: 1 }, s: 'x,y' });
    r.add({ at: new Date(Number.NaN), n: 1n, tags: [], meta: {}, s: 'q"' });
    expect(r.rows).toBe(2);
    expect(r.text()).toBe('at,n,s\n2024-01-01T00:00:00.000Z,12345678901234567890,"x,y"\n,1,"q"""\n');
  });
});
