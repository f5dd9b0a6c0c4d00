/**
 * Corpus shapes: the events the emulator's EventBridge delivers (what a rule target receives after the
 * adapter's PutEvents) against the real EventBridge envelopes in ../shared/corpus/aws: same keys, same
 * types, same time format.
 *
 * The corpus holds no EC2, Auto Scaling or EKS API responses, so for those APIs the conformance check is
 * the round trip through the real SDK deserializers (the contract tests): every field the adapter reads is
 * parsed by the SDK from the emulator's XML or JSON.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedEvent } from '../../local/emulators/aws/index.ts';
import { type Env, startEnv } from './support.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpusDir = path.resolve(repoRoot, '..', 'shared', 'corpus', 'aws');
const haveCorpus = existsSync(corpusDir);

type Json = Record<string, unknown>;

/** EventBridge envelopes in the corpus (files with detail-type, source and detail at the top). */
function corpusEnvelopes(): Array<{ file: string; event: Json }> {
  return readdirSync(corpusDir)
    .filter((f) => f.endsWith('.json'))
    .map((file) => ({ file, event: JSON.parse(readFileSync(path.join(corpusDir, file), 'utf8')) as unknown }))
    .filter((x): x is { file: string; event: Json } => {
      const e = x.event as Json;
      return (
        typeof e === 'object' && e !== null && !Array.isArray(e) && 'detail-type' in e && 'source' in e && 'detail' in e
      );
    });
}

function typeOf(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

/** The standard envelope keys; a few corpus files add `replay-name` or drop `version` (documented quirks). */
const ENVELOPE = ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'];
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const title = haveCorpus
  ? 'EventBridge envelope vs ../shared/corpus/aws'
  : `skipped: ${corpusDir} not found beside the repository, so envelope shapes are not compared`;

describe.skipIf(!haveCorpus)(title, () => {
  let env: Env;
  let delivered: ReceivedEvent;

  beforeAll(async () => {
    env = await startEnv();
    await env.aws.events.publish([
      {
        source: 'gpu-autoscaler',
        detailType: 'Scaling Decision',
        detail: { fleet: 'llama-70b', to: 6 },
        time: '2025-03-03T09:00:00.000Z',
      },
    ]);
    delivered = env.emulator.events.received[0]!;
  });
  afterAll(async () => {
    await env.close();
  });

  it('finds envelopes in the corpus', () => {
    expect(corpusEnvelopes().length).toBeGreaterThan(10);
  });

  it('delivers exactly the standard envelope keys (plus the bus it was put on)', () => {
    const { eventBusName, ...envelope } = delivered;
    expect(eventBusName).toBe('default');
    expect(Object.keys(envelope).sort()).toEqual([...ENVELOPE].sort());
    const standard = corpusEnvelopes().filter(({ event }) => ENVELOPE.every((k) => k in event));
    expect(standard.length).toBeGreaterThan(10);
    for (const { event } of standard) {
      const keys = Object.keys(event).filter((k) => k !== 'replay-name');
      expect(keys.sort()).toEqual([...ENVELOPE].sort());
    }
  });

  it('uses, per key, the type the corpus envelopes use', () => {
    const envelopes = corpusEnvelopes();
    for (const key of ENVELOPE) {
      const types = new Map<string, number>();
      for (const { event } of envelopes) {
        if (key in event) types.set(typeOf(event[key]), (types.get(typeOf(event[key])) ?? 0) + 1);
      }
      const [majority, count] = [...types].sort((a, b) => b[1] - a[1])[0]!;
      // Quirks are rare (one doc sample has `resources` as a string): the usual type covers 90% or more.
      expect(count / envelopes.filter(({ event }) => key in event).length).toBeGreaterThanOrEqual(0.9);
      expect({ key, type: typeOf(delivered[key as keyof ReceivedEvent]) }).toEqual({ key, type: majority });
    }
  });

  it('formats time and ids like EventBridge', () => {
    expect(delivered.time).toBe('2025-03-03T09:00:00Z');
    const realTimes = corpusEnvelopes()
      .map(({ event }) => event.time as string)
      .filter((t) => /^\d{4}/.test(t)); // placeholders such as `yyyy-mm-ddThh:mm:ssZ` are doc quirks
    expect(realTimes.length).toBeGreaterThan(10);
    for (const t of [...realTimes, delivered.time]) expect(t).toMatch(TIME);
    expect(delivered.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(delivered.account).toMatch(/^\d{12}$/);
    expect(delivered.version).toBe('0');
  });
});
