/**
 * Hostile events: at least `count` mutations of every sample (and corpus payload, when ../shared is there),
 * each normalized and judged (mutate.ts states the rules); then the malformed ones, up to `throughHandler`,
 * through the real spot-interruption handler against the emulators: none may change anything in a cloud or
 * a cluster, and each must be kept (a rejected record with its reason) and answered `rejected`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { normalizeEvent } from '../../events/index.ts';
import { listSamples } from '../../events/samples.ts';
import { isParseError } from '../../shared/domain/errors.ts';
import { NormalizedSchema } from '../../test/events/support.ts';
import { badIds, type Json, mutate, prng } from './mutate.ts';
import { chaosStack, T0 } from './stack.ts';
import type { Row } from './table.ts';

export const CORPUS_DIR = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');

export function inputs(): { name: string; doc: Json }[] {
  const samples = listSamples().map((s) => ({
    name: `samples/${s.source}/${s.name}`,
    doc: JSON.parse(readFileSync(s.file, 'utf8')) as Json,
  }));
  if (!existsSync(CORPUS_DIR)) return samples;
  const corpus = ['aws', 'azure', 'gcp'].flatMap((c) =>
    existsSync(path.join(CORPUS_DIR, c))
      ? readdirSync(path.join(CORPUS_DIR, c))
          .filter((f) => f.endsWith('.json'))
          .map((f) => ({
            name: `corpus/${c}/${f}`,
            doc: JSON.parse(readFileSync(path.join(CORPUS_DIR, c, f), 'utf8')) as Json,
          }))
      : [],
  );
  return [...samples, ...corpus];
}

export type Verdict = 'rejected' | 'no-op' | 'signal' | 'crash' | 'malformed-accepted';

/** Normalizes one event and judges the outcome (the rules are in mutate.ts). */
export function judge(doc: unknown, now: string): { verdict: Verdict; ms: number; why?: string } {
  const started = performance.now();
  let result: unknown;
  try {
    result = normalizeEvent(doc, { now });
  } catch (e) {
    const ms = performance.now() - started;
    if (isParseError(e)) return { verdict: 'rejected', ms };
    return { verdict: 'crash', ms, why: e instanceof Error ? `${e.name}: ${e.message.slice(0, 200)}` : String(e) };
  }
  const ms = performance.now() - started;
  const parsed = NormalizedSchema.safeParse(result);
  if (!parsed.success) return { verdict: 'malformed-accepted', ms, why: parsed.error.message.slice(0, 200) };
  if (parsed.data.type === 'no-op') return { verdict: 'no-op', ms };
  const bad = badIds(parsed.data as Record<string, unknown>);
  return bad ? { verdict: 'malformed-accepted', ms, why: bad } : { verdict: 'signal', ms };
}

export async function hostileEvents(options: { count: number; throughHandler: number; seed: number }): Promise<Row> {
  const docs = inputs();
  const random = prng(options.seed);
  const now = new Date(T0).toISOString();
  const perInput = Math.ceil(options.count / docs.length);
  const tally: Record<Verdict, number> = { rejected: 0, 'no-op': 0, signal: 0, crash: 0, 'malformed-accepted': 0 };
  let slow = 0;
  let worst = 0;
  const examples: string[] = [];
  const malformed: unknown[] = [];
  for (const input of docs) {
    for (let k = 0; k < perInput; k++) {
      const { doc, what } = mutate(input.doc, random);
      const v = judge(doc, now);
      tally[v.verdict]++;
      worst = Math.max(worst, v.ms);
      if (v.ms > 100) slow++;
      if ((v.verdict === 'crash' || v.verdict === 'malformed-accepted') && examples.length < 3)
        examples.push(`${input.name} ${what}: ${v.why}`);
      if (v.verdict === 'rejected' && malformed.length < options.throughHandler && random() < 0.2) malformed.push(doc);
    }
  }
  // The malformed ones through the real handler: nothing applied, each kept with its reason.
  const s = await chaosStack();
  let applied = 0;
  let notRejected = 0;
  let notKept = 0;
  try {
    const day = now.slice(0, 10);
    for (const doc of malformed) {
      // A millisecond apart: two mutations of one sample keep its event id, and the record of a rejection is
      // keyed by its time and id (the same event delivered again at the same instant is the same record).
      s.world.advanceTo(s.world.now() + 1);
      const writes = s.writes().length;
      const before = (await s.stack.deps.store.listRejected(day)).length;
      const r = (await s.invoke('spot-interruption', doc).catch((e: unknown) => ({ status: `threw ${e}` }))) as {
        status?: string;
      };
      if (r.status !== 'rejected') notRejected++;
      applied += s.writes().length - writes;
      const kept = await s.stack.deps.store.listRejected(day);
      if (kept.length !== before + 1 || !kept.every((x) => x.reason)) notKept++;
    }
  } finally {
    await s.close();
  }
  const total = Object.values(tally).reduce((a, b) => a + b, 0);
  return {
    name: 'hostile events',
    scale: `${total.toLocaleString('en-US')} mutations of ${docs.length} payloads${existsSync(CORPUS_DIR) ? ' (samples and corpus)' : ' (samples; corpus absent: skipped)'}, ${malformed.length} malformed ones through the handler`,
    failures: {
      crashes: tally.crash,
      'over 100 ms': slow,
      'malformed accepted as actionable': tally['malformed-accepted'],
      'applied from a malformed event': applied,
      'not answered rejected': notRejected,
      'not kept with its reason': notKept,
    },
    figures: `rejected ${tally.rejected}, no-op ${tally['no-op']}, well-formed signals ${tally.signal}; slowest ${worst.toFixed(1)} ms${examples.length ? `; e.g. ${examples.join(' / ')}` : ''}`,
  };
}
