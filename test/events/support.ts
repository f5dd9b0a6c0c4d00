/**
 * Shared by the events tests: where the corpus is, and a zod schema of what a normalized result must look
 * like (used to check that every signal the parsers produce, even from mutated input, is well formed).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
export const CORPUS_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'corpus');
export const HAS_CORPUS = existsSync(CORPUS_DIR);
export const CORPUS_CLOUDS = ['aws', 'azure', 'gcp'] as const;

const iso = z.iso.datetime({ offset: false, precision: 3 });
const nonEmpty = z.string().min(1);
const clouds = z.enum(['aws', 'azure', 'gcp', 'kubernetes']);
const rejected = z
  .array(
    z.strictObject({
      eventId: nonEmpty.optional(),
      source: nonEmpty,
      path: z.string(),
      reason: nonEmpty,
      item: z.unknown(),
    }),
  )
  .min(1)
  .optional();
const base = {
  eventId: nonEmpty,
  source: nonEmpty,
  time: iso,
  fleetId: nonEmpty.optional(),
  poolId: nonEmpty.optional(),
  revision: nonEmpty.optional(),
  rejected,
};
const state = z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);
const finite = z.number().refine(Number.isFinite);

/** The domain `Normalized` union, strictly: no unknown fields, canonical ISO times, non-empty ids. */
export const NormalizedSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('metric-alarm'),
    ...base,
    cloud: clouds,
    alarmName: nonEmpty,
    state,
    previousState: state.optional(),
    alarmKind: z.enum(['metric', 'metric-math', 'anomaly-detection', 'composite']),
    namespace: z.string().optional(),
    metricName: z.string().optional(),
    value: finite.optional(),
    threshold: finite.optional(),
    comparison: z.string().optional(),
    dimensions: z.record(z.string(), z.string()),
    reason: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('interruption'),
    ...base,
    cloud: clouds,
    kind: z.enum(['warning', 'rebalance', 'preempt', 'reservation-interruption', 'maintenance']),
    instanceIds: z.array(nonEmpty).min(1),
    deadline: iso.optional(),
    action: nonEmpty.optional(),
    zone: nonEmpty.optional(),
    region: nonEmpty.optional(),
  }),
  z.strictObject({
    type: z.literal('reservation-change'),
    ...base,
    cloud: clouds,
    kind: z.enum(['delivered', 'active', 'expiring', 'expired', 'interrupted', 'underutilized', 'scheduled']),
    reservationIds: z.array(nonEmpty).min(1),
    reservationType: nonEmpty.optional(),
    instanceType: nonEmpty.optional(),
    zone: nonEmpty.optional(),
    region: nonEmpty.optional(),
    instanceCount: z.number().int().min(0).optional(),
    utilization: z.number().min(0).max(1).optional(),
    startTime: iso.optional(),
    endTime: iso.optional(),
    instanceIds: z.array(nonEmpty).optional(),
  }),
  z.strictObject({
    type: z.literal('tick'),
    ...base,
    purpose: z.enum(['forecast', 'schedule']),
    window: nonEmpty.optional(),
  }),
  z.strictObject({
    type: z.literal('operator-command'),
    ...base,
    command: z.enum(['status', 'plan', 'scale', 'clear-target', 'pause', 'resume', 'drain', 'explain']),
    actor: nonEmpty,
    reason: nonEmpty.optional(),
    target: z.number().int().min(0).optional(),
    expiresAt: iso.optional(),
    node: nonEmpty.optional(),
    dryRun: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal('capacity-notice'),
    ...base,
    cloud: clouds,
    kind: nonEmpty,
    instanceIds: z.array(nonEmpty),
    zone: nonEmpty.optional(),
    detail: z.string().optional(),
    lifecycleAction: z
      .strictObject({ autoScalingGroupName: nonEmpty, hookName: nonEmpty, token: nonEmpty, transition: nonEmpty })
      .optional(),
  }),
  z.strictObject({
    type: z.literal('no-op'),
    eventId: nonEmpty.optional(),
    source: nonEmpty,
    reason: nonEmpty,
    rejected,
  }),
]);
