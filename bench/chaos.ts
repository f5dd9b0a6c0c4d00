/**
 * The chaos benchmark (`npm run bench:chaos`): the real handlers, the real SDK clients against the
 * emulators, dynalite, under what went wrong in the field (issue 12): hostile events, redelivery,
 * concurrency, a mass reclaim, every cloud fault the emulators inject, and an invocation held past its
 * lease. One table, PASS or MISS per row (PASS when every counter of wrong outcomes is 0), a summary last.
 *
 * `npm run bench:chaos [-- --only hostile,faults --events 10 --copies 50 --mutations 10000 --json]`
 */
import { parseArgs } from 'node:util';
import { concurrency, lease, redelivery } from './chaos/delivery.ts';
import { faults } from './chaos/faults.ts';
import { hostileEvents } from './chaos/hostile.ts';
import { massReclaim } from './chaos/reclaim.ts';
import { pass, renderTable, type Row } from './chaos/table.ts';
import { messageOf } from '../shared/domain/errors.ts';

// The handlers' JSON logs and EMF metrics would bury the table.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    mutations: { type: 'string', default: '10000' },
    'through-handler': { type: 'string', default: '200' },
    events: { type: 'string', default: '10' },
    copies: { type: 'string', default: '50' },
    concurrent: { type: 'string', default: '100' },
    notices: { type: 'string', default: '50' },
    seed: { type: 'string', default: '12' },
    json: { type: 'boolean', default: false },
  },
});

const int = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1, got ${values[name]}`);
  return n;
};

const SCENARIOS: Record<string, () => Promise<Row[]>> = {
  hostile: async () => [
    await hostileEvents({ count: int('mutations'), throughHandler: int('through-handler'), seed: int('seed') }),
  ],
  redelivery: async () => [await redelivery({ events: int('events'), copies: int('copies') })],
  concurrency: async () => [await concurrency({ events: int('concurrent') })],
  reclaim: async () => [await massReclaim({ notices: int('notices') })],
  faults: () => faults(),
  lease: async () => [await lease()],
};

const only = values.only?.split(',').map((s) => s.trim());
for (const name of only ?? [])
  if (!(name in SCENARIOS)) throw new Error(`--only: no scenario '${name}' (${Object.keys(SCENARIOS).join(', ')})`);
const rows: Row[] = [];
for (const [name, run] of Object.entries(SCENARIOS)) {
  if (only && !only.includes(name)) continue;
  const started = Date.now();
  try {
    rows.push(...(await run()));
  } catch (e) {
    rows.push({ name, scale: '', failures: {}, error: messageOf(e) });
  }
  process.stderr.write(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : `${renderTable(rows)}\n`);
process.exitCode = rows.every(pass) ? 0 : 1;
