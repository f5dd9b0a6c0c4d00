import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../local/cli/io.ts';
import { createSimulateCommand, loadAutoscalerModule, parseOptions } from '../../local/cli/commands/simulate.ts';
import type { AutoscalerControllerOptions, Controller } from '../../local/sim/controller.ts';
import { createProgressReporter } from '../../local/sim/progress.ts';
import { CONTROLLERS, fakeIo } from './support.ts';

/** Stands in for the autoscaler: holds the demo fleet as it starts. */
function holding(seen: AutoscalerControllerOptions[]) {
  return async (options: AutoscalerControllerOptions): Promise<Controller> => {
    seen.push(options);
    return { name: 'autoscaler', async start() {}, async step() {}, async stop() {} };
  };
}

describe('autoscaler simulate', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'simulate-'));
    // Ten minutes at 60, then 120 requests a minute.
    await writeFile(
      path.join(dir, 'trace.csv'),
      `offset_s,requests\n${Array.from({ length: 10 }, (_, i) => `${i * 60},${i < 5 ? 60 : 120}`).join('\n')}\n`,
    );
    await writeFile(path.join(dir, 'spot.json'), '{"metadata":{"gap_seconds":300},"data":[4,2,4]}');
    // --config names the fleet to simulate: the demo configuration, copied.
    await writeFile(
      path.join(dir, 'config.json'),
      readFileSync(new URL('../../config/demo.json', import.meta.url), 'utf8'),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the autoscaler and the six baselines, prints --json and writes the report', async () => {
    const seen: AutoscalerControllerOptions[] = [];
    const { io, out, err } = fakeIo(dir);
    const code = await createSimulateCommand({ loadAutoscaler: holding(seen) })(
      ['--hours', '1', '--seed', '9', '--json', '--report', 'r/report.html', '--config', 'config.json'],
      io,
    );
    expect(code).toBe(0);
    const json = JSON.parse(out.join('\n'));
    expect(Object.keys(json.results)).toEqual([...CONTROLLERS]);
    expect(json.run).toMatchObject({ hours: 1, seed: 9, step_seconds: 60, trace: 'default day (seed 9)' });
    expect(json.results.oracle.slo_attainment).toBe(1);
    expect(readFileSync(path.join(dir, 'r', 'report.html'), 'utf8')).toContain('data-chart="capacity"');
    expect(seen[0]).toMatchObject({
      seed: 9,
      hours: 1,
      stepSeconds: 60,
      configFile: path.join(dir, 'config.json'),
      cwd: dir,
    });
    // No terminal: progress comes as a few lines.
    expect(err.length).toBeGreaterThan(0);
    expect(err.length).toBeLessThanOrEqual(11);
  });

  it('--decisions: the autoscaler hands over its audit records as it stops, written one JSON object a line', async () => {
    const seen: AutoscalerControllerOptions[] = [];
    const records = [
      { at: '2026-01-05T00:00:00.000Z', eventId: 'a', trigger: { fn: 'forecast' } },
      { at: '2026-01-05T00:05:00.000Z', eventId: 'b', trigger: { fn: 'alarm' } },
    ];
    const load = async (options: AutoscalerControllerOptions): Promise<Controller> => {
      seen.push(options);
      return {
        name: 'autoscaler',
        async start() {},
        async step() {},
        async stop() {
          await options.decisions?.(records as never);
        },
      };
    };
    const { io, err } = fakeIo(dir);
    const code = await createSimulateCommand({ loadAutoscaler: load })(
      ['--hours', '0.1', '--json', '--report', 'd.html', '--decisions', 'audit/d.jsonl'],
      io,
    );
    expect(code).toBe(0);
    const file = path.join(dir, 'audit', 'd.jsonl');
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(records[0])}\n${JSON.stringify(records[1])}\n`);
    expect(err).toContain(`simulate: 2 decision(s) of the autoscaler written to ${file}`);
    // Without the option the autoscaler is not asked for them.
    await createSimulateCommand({ loadAutoscaler: load })(['--hours', '0.1', '--json', '--report', 'd.html'], io);
    expect(seen[1]?.decisions).toBeUndefined();
    expect(() => parseOptions(['--decisions', ''])).toThrow(/--decisions needs a value/);
  });

  it.each([
    ['--decisions', ['--decisions', '.']],
    ['--report', ['--report', '.']],
  ])('%s that cannot be written is a usage error before the run', async (option, args) => {
    let started = 0;
    const load = async (): Promise<Controller> => {
      started++;
      return { name: 'autoscaler', async start() {}, async step() {}, async stop() {} };
    };
    const { io } = fakeIo(dir);
    const run = createSimulateCommand({ loadAutoscaler: load })(['--hours', '0.1', '--json', ...args], io);
    await expect(run).rejects.toThrow(new RegExp(`^${option}: cannot write \\.: EISDIR`));
    await expect(run).rejects.toBeInstanceOf(UsageError);
    expect(started).toBe(0);
  });

  it('the check of --report and --decisions leaves no file behind when the run fails', async () => {
    const failing = async (): Promise<Controller> => {
      throw new Error('no autoscaler here');
    };
    const { io } = fakeIo(dir);
    await expect(
      createSimulateCommand({ loadAutoscaler: failing })(
        ['--hours', '0.1', '--report', 'gone/r.html', '--decisions', 'gone/d.jsonl'],
        io,
      ),
    ).rejects.toThrow('no autoscaler here');
    expect(existsSync(path.join(dir, 'gone', 'r.html'))).toBe(false);
    expect(existsSync(path.join(dir, 'gone', 'd.jsonl'))).toBe(false);
  });

  it('prints the table without --json, and runs a trace for its own length', async () => {
    const { io, out } = fakeIo(dir);
    const code = await createSimulateCommand({ loadAutoscaler: holding([]) })(
      ['--trace', 'trace.csv', '--spot-trace', 'spot.json', '--report', 'out.html'],
      io,
    );
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/^controller\s+cost USD/);
    expect(text).toContain(`report: ${path.join(dir, 'out.html')}`);
    expect(existsSync(path.join(dir, 'out.html'))).toBe(true);
  });

  it('repeats a short trace to fill --hours and says so', async () => {
    const { io, out, err } = fakeIo(dir);
    await createSimulateCommand({ loadAutoscaler: holding([]) })(
      ['--trace', 'trace.csv', '--hours', '0.5', '--json', '--report', 'o.html'],
      io,
    );
    // The ten minutes without their first and last, which may be partial: 4 x 60 and 4 x 120 requests.
    expect(err.slice(0, 2)).toEqual([
      'simulate: trace.csv: without its first and last interval, which may cover part of their time: 8 min of 10 min, from 60 s',
      'simulate: the trace covers 0.13 h; it repeats to fill 0.5 h',
    ]);
    const json = JSON.parse(out.join('\n'));
    expect(json.run.trace_looped).toBe(true);
    // Three times the eight minutes, then six of them: 3 x (4 x 60 + 4 x 120) + 4 x 60 + 2 x 120 requests.
    expect(json.results.static.offered_requests).toBe(2640);
  });

  it('reads a trace of another layout from its header: a log of one request per row, counted per minute', async () => {
    // 60 requests in minute 0 and 120 in minute 1: the same demand as two rows of trace.csv.
    const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString();
    const rows = [
      ...Array.from({ length: 60 }, (_, i) => at(i)),
      ...Array.from({ length: 120 }, (_, i) => at(60 + i / 2)),
    ];
    await writeFile(path.join(dir, 'log.csv'), `TIMESTAMP,Model\n${rows.map((t) => `${t},x`).join('\n')}\n`);
    const { io, out, err } = fakeIo(dir);
    const code = await createSimulateCommand({ loadAutoscaler: holding([]) })(
      ['--trace', 'log.csv', '--json', '--report', 'log.html'],
      io,
    );
    expect(code).toBe(0);
    expect(err.filter((l) => l.includes('repeats'))).toEqual([]);
    const json = JSON.parse(out.join('\n'));
    expect(json.run.hours).toBeCloseTo(2 / 60, 9);
    expect(json.results.static.offered_requests).toBe(180);
    // Named columns are taken as named: this file has no offset_s.
    await expect(
      createSimulateCommand({ loadAutoscaler: holding([]) })(['--trace', 'log.csv', '--time-column', 'offset_s'], io),
    ).rejects.toThrow(/log\.csv.*no column 'offset_s'/);
  });

  it("starts a dated trace on its own weekday and time of day, as the benchmark does; an undated one at the demo's start", async () => {
    // Thursday 16 November 2023, 18:17 UTC: ten minutes, each 60 requests.
    const rows = Array.from({ length: 10 }, (_, i) => `2023-11-16T18:${17 + i}:00,${i * 60},60`);
    await writeFile(path.join(dir, 'dated.csv'), `t_start_utc,offset_s,requests\n${rows.join('\n')}\n`);
    const seen: AutoscalerControllerOptions[] = [];
    const { io, out, err } = fakeIo(dir);
    const code = await createSimulateCommand({ loadAutoscaler: holding(seen) })(
      ['--trace', 'dated.csv', '--json', '--report', 'dated.html'],
      io,
    );
    expect(code).toBe(0);
    // The first minute is cut (it may be partial): the run starts at 18:18 on the demo week's Thursday.
    expect(JSON.parse(out.join('\n')).run.start).toBe('2026-01-08T18:18:00.000Z');
    expect(seen[0]!.demo.startMs).toBe(Date.parse('2026-01-08T18:18:00Z'));
    expect(err).toContain(
      'simulate: dated.csv: starts 2023-11-16T18:18:00.000Z: the run starts on a Thursday at 18:18 UTC, as the trace does',
    );
    const undated = fakeIo(dir);
    await createSimulateCommand({ loadAutoscaler: holding([]) })(
      ['--trace', 'trace.csv', '--json', '--report', 'undated.html'],
      undated.io,
    );
    expect(JSON.parse(undated.out.join('\n')).run.start).toBe('2026-01-05T00:00:00.000Z');
  });

  it('prints its usage with --help', async () => {
    const { io, out } = fakeIo(dir);
    expect(await createSimulateCommand({ loadAutoscaler: holding([]) })(['--help'], io)).toBe(0);
    expect(out[0]).toMatch(/^usage: autoscaler simulate/);
  });

  it.each([
    { args: ['--bogus'], message: /Unknown option '--bogus'/ },
    { args: ['extra'], message: /positional/ },
    { args: ['--hours', '0'], message: /--hours must be a number of hours > 0/ },
    { args: ['--hours', 'many'], message: /--hours must be/ },
    { args: ['--seed=-1'], message: /--seed must be a whole number/ },
    { args: ['--seed', '1.5'], message: /--seed must be a whole number/ },
    {
      args: ['--trace', 'x.csv', '--value-unit', 'rph'],
      message: /--value-unit must be one of rps, rpm, count, got 'rph'/,
    },
    { args: ['--trace', 'x.csv', '--time-unit', 'days'], message: /--time-unit must be one of ns, us, ms, s, min, h/ },
    { args: ['--value-column', 'rpm_mid'], message: /--value-column needs --trace/ },
    { args: ['--trace'], message: /argument missing|--trace/ },
    { args: ['--report', ''], message: /--report needs a value/ },
    { args: ['--ready-seconds=-5'], message: /--ready-seconds must be a number of seconds from 0 to 86400/ },
    { args: ['--ready-seconds', 'slow'], message: /--ready-seconds must be/ },
  ])('refuses $args', ({ args, message }) => {
    expect(() => parseOptions(args)).toThrow(UsageError);
    expect(() => parseOptions(args)).toThrow(message);
  });

  it('fails clearly on a config file it cannot read, and on a bad trace', async () => {
    const { io } = fakeIo(dir);
    const command = createSimulateCommand({ loadAutoscaler: holding([]) });
    await expect(command(['--config', 'missing.json'], io)).rejects.toThrow(/--config: cannot read missing\.json/);
    await writeFile(path.join(dir, 'bad.csv'), 'offset_s,requests\n0,1\n60,many\n');
    await expect(command(['--trace', 'bad.csv'], io)).rejects.toThrow(/bad\.csv \(line 3, column 'requests'\)/);
  });
});

describe('loading the autoscaler controller', () => {
  const options: AutoscalerControllerOptions = {
    demo: undefined as never,
    seed: 1,
    hours: 1,
    stepSeconds: 60,
    cwd: '/',
    log: () => {},
  };

  it('fails clearly when the module is missing', async () => {
    const url = new URL('file:///nonexistent/shared/sim/autoscaler.ts');
    await expect(loadAutoscalerModule(url, options)).rejects.toThrow(
      /cannot load the autoscaler controller from \/nonexistent\/shared\/sim\/autoscaler\.ts/,
    );
  });

  it('fails clearly when the module does not export the factory', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'autoscaler-module-'));
    try {
      const file = path.join(dir, 'autoscaler.mjs');
      await writeFile(file, 'export const somethingElse = 1;\n');
      await expect(loadAutoscalerModule(pathToFileURL(file), options)).rejects.toThrow(
        /does not export createAutoscalerController/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('progress', () => {
  it('redraws one bar in place on a terminal and ends it with a newline', () => {
    const writes: string[] = [];
    let clock = 0;
    const p = createProgressReporter(
      { tty: { write: (t) => writes.push(t), columns: 100 }, line: () => {} },
      () => (clock += 1000),
    );
    for (let step = 1; step <= 10; step++) p.update({ controller: 'hpa', index: 1, count: 2, step, steps: 10 });
    p.done();
    expect(writes.every((w, i) => (i < writes.length - 1 ? w.startsWith('\r[') : w === '\n'))).toBe(true);
    // Second of two controllers, done: 100%.
    expect(writes[writes.length - 2]).toContain('100% hpa (2/2) 10/10');
  });

  it('writes a line every tenth of the run elsewhere', () => {
    const lines: string[] = [];
    const p = createProgressReporter({ line: (t) => lines.push(t) });
    for (let step = 1; step <= 100; step++) p.update({ controller: 'x', index: 0, count: 1, step, steps: 100 });
    // 0%, 10%, ..., 100%.
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('simulate: 0% (x 1/100)');
    expect(lines[10]).toBe('simulate: 100% (x 100/100)');
  });
});

describe('simulate --config', () => {
  it('refuses a configuration that does not validate, naming the field', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'simulate-bad-config-'));
    try {
      await writeFile(path.join(dir, 'bad.json'), '{"version":1,"fleets":[]}');
      const { io } = fakeIo(dir);
      await expect(
        createSimulateCommand({ loadAutoscaler: holding([]) })(['--config', 'bad.json'], io),
      ).rejects.toThrow(/bad\.json: fleets/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
