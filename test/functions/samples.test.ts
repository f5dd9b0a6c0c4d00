/**
 * Every valid sample of `events/samples`, moved into the demo world (its alarm names, fleet, instances, scale
 * set, project, Capacity Block) and to its time, through the function that would receive it: none is
 * rejected, none throws; each ends in a decision (audited under that function), a no-op with its reason, or
 * an operator command carried out. The detailed behaviour of each function is in its own test file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeNormalize } from '../../events/index.ts';
import { listSamples, loadSample } from '../../events/samples.ts';
import { ACCEPTS, FUNCTION_NAMES, type FunctionName } from '../../shared/runtime/handler.ts';
import { BLOCK_ID, FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { retarget } from './support.ts';

const VALID = listSamples().filter((s) => s.name !== 'invalid');

let h: Harness;
let replace: Record<string, string>;
beforeAll(async () => {
  h = await startHarness({ desired: { 'aws-g5-spot': 2, 'azure-a100-spot': 2, 'gcp-l4': 1 } });
  h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000, 90);
  const [spotA, spotB] = h.world.instancesOf('aws-g5-spot');
  const [onDemand] = h.world.instancesOf('aws-g5-ondemand');
  const [vmA, vmB] = h.world.instancesOf('azure-a100-spot');
  const [l4] = h.world.instancesOf('gcp-l4');
  replace = {
    // The samples' alarms are the `chat` fleet's; the demo's high-utilization alarm stands for them all.
    'chat-gpu-util-high': `${FLEET}-gpu-utilization-high`,
    'chat-queue-per-node-high': `${FLEET}-gpu-utilization-high`,
    'chat-queue-depth-high': `${FLEET}-gpu-utilization-high`,
    'chat-scale-out-needed': `${FLEET}-gpu-utilization-high`,
    'chat-requests-anomaly': `${FLEET}-gpu-utilization-high`,
    'i-0a1b2c3d4e5f60718': spotA!.id,
    'i-0f9e8d7c6b5a43210': spotB!.id,
    // The spot instances are taken back by the samples before the drain sample comes: drain an on-demand one.
    'ip-10-0-12-34.ec2.internal': onDemand!.nodeName,
    'chat-nc24-spot_3': vmA!.id,
    'chat-nc24-spot_5': vmB!.id,
    'chat-nc24-spot_1': vmB!.id,
    'chat-nc24-spot': 'vmss-gpu-demo-a100-spot',
    '7d3e1a9b-2c4f-4e6a-8b0d-1f3a5c7e9b2d': '00000000-0000-0000-0000-0000000000de',
    'gpu-fleet-prod': 'gpu-demo-project',
    'gpu-fleet': 'rg-gpu-demo',
    'chat-l4-spot-7x2k': l4!.id,
    'cr-0f1e2d3c4b5a69788': BLOCK_ID,
    'us-east-2': 'us-east-1',
    chat: FLEET,
  };
});
afterAll(async () => {
  await h?.close();
});

/** The function whose rule delivers the event: the first that accepts its signal (ticks by purpose). */
function receiver(raw: unknown): FunctionName {
  const r = safeNormalize(raw, { now: new Date(T0).toISOString() });
  if (!r.success) throw r.error;
  if (r.value.type === 'no-op') return 'alarm';
  const signal = r.value;
  if (signal.type === 'tick') return signal.purpose;
  return FUNCTION_NAMES.find((fn) => ACCEPTS[fn].includes(signal.type))!;
}

/** Samples without a time of their own (a bare Scheduled Events document, a command without `time`). */
function moved(raw: Record<string, unknown>): unknown {
  const hasTime =
    Array.isArray(raw) || ['time', 'scheduledTime'].some((k) => typeof raw[k] === 'string') || 'message' in raw;
  if (hasTime) return retarget(raw, { at: T0, replace });
  return retarget({ ...raw, time: new Date(T0).toISOString() }, { at: T0, replace });
}

describe('every valid sample through its function', () => {
  it.each(VALID)('$source/$name', async ({ source, name }) => {
    const raw = moved(loadSample<Record<string, unknown>>(source, name));
    const fn = receiver(raw);
    const result = await h.invoke(fn, raw);
    switch (result.status) {
      case 'rejected':
        throw new Error(`${source}/${name} rejected by ${fn}: ${result.reason}`);
      case 'no-op':
        expect(result.reason.length).toBeGreaterThan(0);
        break;
      case 'ops':
        expect(result).toMatchObject({ ok: true });
        break;
      case 'decided':
      case 'partial': {
        expect(result.decisions.map((d) => d.fleetId)).toEqual([FLEET]);
        const triggers = (await h.audits()).map((a) => a.trigger.fn);
        expect(triggers).toContain(fn);
        break;
      }
    }
  });
});
