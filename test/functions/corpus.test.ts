/**
 * Every real payload of ../shared/corpus/{aws,azure,gcp}, fed to the function that would receive it (by the
 * signal it parses to and `ACCEPTS`), against the emulators and dynalite: no invocation throws; each ends in
 * a decision, a no-op or a rejection, the last two with a reason; payloads holding documentation placeholders
 * are rejected; and the fleet stays within its limits throughout. The corpus sits beside the repository on
 * the team's machines and in CI, not in a user's clone: there this suite is skipped.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeNormalize } from '../../events/index.ts';
import { ACCEPTS, FUNCTION_NAMES, type FunctionName, normalizeContext } from '../../shared/runtime/handler.ts';
import { FLEET, type Harness, startHarness } from '../support/stack.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CORPUS = path.resolve(REPO, '..', 'shared', 'corpus');
const CLOUDS = ['aws', 'azure', 'gcp'] as const;
const HAS_CORPUS = CLOUDS.every((c) => existsSync(path.join(CORPUS, c)));

/**
 * Values the documentation writes in place of real ones: `yyyy-mm-ddThh:mm:ssZ`, a whole value in brackets
 * (`"[Customer Account ID]"`), a `%s` format verb, a `{subscription-id}` template.
 */
const PLACEHOLDER = /yyyy-mm-dd|"\[[A-Z][A-Za-z ]*\]"|%s|\{[a-z]+-[a-z-]+\}/;

interface CorpusFile {
  name: string;
  raw: unknown;
  placeholder: boolean;
}

function corpusFiles(): CorpusFile[] {
  if (!HAS_CORPUS) return [];
  return CLOUDS.flatMap((cloud) =>
    readdirSync(path.join(CORPUS, cloud))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => {
        const text = readFileSync(path.join(CORPUS, cloud, f), 'utf8');
        return { name: `${cloud}/${f}`, raw: JSON.parse(text) as unknown, placeholder: PLACEHOLDER.test(text) };
      }),
  );
}

/**
 * The function whose rule delivers a payload: the first that accepts its signal (ticks by purpose). A payload
 * that does not parse, or that is a no-op, is handled the same way by every function (normalizing does not
 * depend on the function): it goes to the alarm function.
 */
function receiver(h: Harness, raw: unknown): FunctionName {
  const r = safeNormalize(raw, normalizeContext(h.stack.deps, h.stack.deps.clock()));
  if (!r.success || r.value.type === 'no-op') return 'alarm';
  const signal = r.value;
  if (signal.type === 'tick') return signal.purpose;
  return FUNCTION_NAMES.find((fn) => ACCEPTS[fn].includes(signal.type))!;
}

const FILES = corpusFiles();

describe.skipIf(!HAS_CORPUS)('corpus payloads through the functions (needs ../shared/corpus)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ desired: { 'aws-g5-ondemand': 2, 'aws-g5-spot': 2, 'azure-a100-spot': 1, 'gcp-l4': 1 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('has payloads of every cloud', () => {
    for (const c of CLOUDS) expect(FILES.filter((f) => f.name.startsWith(`${c}/`)).length).toBeGreaterThan(0);
  });

  it.each(FILES)('$name', async (file) => {
    const fn = receiver(h, file.raw);
    const result = await h.invoke(fn, file.raw);
    switch (result.status) {
      case 'rejected':
      case 'no-op':
        expect(result.reason.length).toBeGreaterThan(0);
        break;
      case 'decided':
      case 'partial':
        expect(result.decisions.length).toBeGreaterThan(0);
        for (const d of result.decisions) expect(d.fleetId).toBe(FLEET);
        break;
      case 'ops':
        expect(result.message.length).toBeGreaterThan(0);
        break;
    }
    if (file.placeholder) expect(result.status).toBe('rejected');
    // Whatever came in, the fleet stays within its pools' limits.
    const desired = h.desired();
    for (const p of h.resolved.fleets[0]!.pools) {
      expect(desired[p.id]).toBeGreaterThanOrEqual(p.min);
      expect(desired[p.id]).toBeLessThanOrEqual(p.max);
    }
  });
});

if (!HAS_CORPUS) {
  describe('corpus payloads through the functions', () => {
    it.skip(`skipped: no corpus at ${CORPUS} (it sits beside the repository on the team's machines and in CI)`, () => {});
  });
}
