/**
 * Events for the functions' end-to-end tests: the project's samples (`events/samples`) moved into the demo
 * world (its instance ids, scale sets, projects, reservation) and to its time, and a few payloads built by
 * the simulation's event builders. Every helper returns a fresh object.
 */
import { randomUUID } from 'node:crypto';
import { loadSample } from '../../events/samples.ts';
import * as P from '../../local/sim/autoscaler-events.ts';
import type { Plan } from '../../shared/engine/types.ts';
import { FLEET, type Harness, T0 } from '../support/stack.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;
const RFC1123 = /^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** The same instant moved by `deltaMs`, written as the original was (fraction or not, `Z` or `+0000`, RFC 1123). */
function shiftTime(text: string, deltaMs: number): string {
  const t = new Date(Date.parse(text) + deltaMs);
  if (RFC1123.test(text)) return t.toUTCString();
  const iso = t.toISOString();
  const body = /\.\d+/.test(text) ? iso : iso.replace(/\.\d{3}Z$/, 'Z');
  return /\+0000$/.test(text) ? body.replace('Z', '+0000') : body;
}

function rewrite(value: unknown, replace: (s: string) => string, deltaMs: number): unknown {
  if (typeof value === 'string') {
    const s = replace(value);
    return ISO.test(s) || RFC1123.test(s) ? shiftTime(s, deltaMs) : s;
  }
  if (Array.isArray(value)) return value.map((v) => rewrite(v, replace, deltaMs));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // A Pub/Sub push carries its payload base64-encoded in `message.data`.
    if (k === 'data' && typeof v === 'string' && 'messageId' in value) {
      const inner = JSON.parse(Buffer.from(v, 'base64').toString('utf8')) as unknown;
      out[k] = Buffer.from(JSON.stringify(rewrite(inner, replace, deltaMs))).toString('base64');
    } else out[k] = rewrite(v, replace, deltaMs);
  }
  return out;
}

/**
 * The time an event says it happened: the EventBridge `time`, a Pub/Sub `publishTime`, a Scheduler tick's
 * `scheduledTime`, a command's `time`, the first Event Grid event's `eventTime`.
 */
function anchorOf(raw: Record<string, unknown>): number {
  if (Array.isArray(raw)) return anchorOf(raw[0] as Record<string, unknown>);
  const message = raw.message as Record<string, unknown> | undefined;
  const t = raw.time ?? message?.publishTime ?? raw.scheduledTime ?? raw.eventTime;
  if (typeof t !== 'string') throw new Error('retarget: the sample has no time to anchor on');
  return Date.parse(t);
}

export interface Retarget {
  /** Substrings to replace (the sample's ids and names -> the demo world's), longest first. */
  replace?: Record<string, string>;
  /** When the event happens (ms): every time in the payload moves by the same amount. */
  at: number;
  /** A fresh event id (EventBridge `id`, Pub/Sub `messageId`); default a random UUID. */
  id?: string;
}

/** A sample moved into the demo world: ids and names replaced, times shifted, a fresh event id. */
export function retarget<T = Record<string, unknown>>(raw: unknown, r: Retarget): T {
  const keys = Object.keys(r.replace ?? {}).sort((a, b) => b.length - a.length);
  const pattern = keys.length
    ? new RegExp(keys.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
    : undefined;
  const replace = (s: string) => (pattern ? s.replace(pattern, (m) => r.replace![m]!) : s);
  const source = raw as Record<string, unknown>;
  const out = rewrite(source, replace, r.at - anchorOf(source)) as Record<string, unknown>;
  const id = r.id ?? randomUUID();
  if (typeof out.id === 'string') out.id = id;
  const message = out.message as Record<string, unknown> | undefined;
  if (message && typeof message.messageId === 'string') {
    message.messageId = id;
    if ('message_id' in message) message.message_id = id;
  }
  return out as T;
}

/** A sample of `events/samples/<source>/<name>.json`, moved into the demo world. */
export function sample<T = Record<string, unknown>>(source: string, name: string, r: Retarget): T {
  return retarget<T>(loadSample(source, name), r);
}

/** The EC2 Spot interruption warning sample for `instance` (its id and zone), as EventBridge delivers it at T0. */
export function spotWarning(instance: { id: string; zone: string }, id: string = randomUUID()) {
  return sample('aws-spot-interruption', 'valid', {
    at: T0,
    id,
    replace: { 'i-0a1b2c3d4e5f60718': instance.id, 'us-east-1a': instance.zone },
  });
}

/** The demo's GPU utilization alarm (high, or low for `OK`/low values) as EventBridge delivers it. */
export function utilizationAlarm(at: number, value: number, opts: { id?: string; low?: boolean } = {}) {
  return P.alarmStateChange(
    { id: opts.id ?? randomUUID(), time: new Date(at) },
    {
      alarmName: `${FLEET}-gpu-utilization-${opts.low ? 'low' : 'high'}`,
      state: 'ALARM',
      previousState: 'OK',
      namespace: 'GpuFleet',
      metricName: 'GPUUtilization',
      dimensions: { fleet: FLEET },
      datapoints: [value],
      threshold: opts.low ? 30 : 75,
      comparison: opts.low ? 'LessThanThreshold' : 'GreaterThanThreshold',
      periodSeconds: 60,
    },
  );
}

/** A scheduled rule's tick: `gpu-autoscaler-forecast` or `gpu-autoscaler-schedule-business-hours`. */
export function tick(at: number, rule: 'forecast' | 'schedule-business-hours', id = randomUUID()) {
  return P.scheduledTick({ id, time: new Date(at) }, `gpu-autoscaler-${rule}`);
}

/** An operator command as the ops function takes it (the CLI's and the API's shape). */
export function command(c: Record<string, unknown>, at: number) {
  return { ...c, time: new Date(at).toISOString() };
}

export const ACTOR = 'arn:aws:sts::123456789012:assumed-role/gpu-oncall/jdoe';

/** Requests per second the fleet's pools serve at the SLO with these desired counts (default the world's). */
export function capacityRps(h: Harness, desired: Record<string, number> = h.desired()): number {
  return h.resolved.fleets[0]!.pools.reduce((sum, p) => sum + (desired[p.id] ?? 0) * p.rpsPerNode, 0);
}

/** The same for a plan's pools, before (`current`) or after (`target`). */
export function planCapacityRps(h: Harness, plan: Plan, which: 'current' | 'target'): number {
  return capacityRps(h, Object.fromEntries(plan.pools.map((p) => [p.poolId, p[which]])));
}

/** GPUs the fleet's pools have at their desired counts (what the Deployment follows, one replica per GPU). */
export function gpusOf(h: Harness): number {
  const desired = h.desired();
  return h.resolved.fleets[0]!.pools.reduce((n, p) => n + (desired[p.id] ?? 0) * p.gpusPerNode, 0);
}
