import { z } from 'zod';
import type { InterruptionSignal, ReservationChangeSignal } from '../../../shared/domain/signals.ts';
import { compact, noop, resolveFleet, withFleet } from '../../context.ts';
import { anyTime, identifier, MAX_IDENTIFIER_LENGTH } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { aws, eventBridge } from './eventbridge.ts';

export const ODCR_UNDERUTILIZATION = 'AWS_EC2_ODCR_UNDERUTILIZATION_NOTIFICATION';
export const ODCR_UNDERUTILIZATION_SUMMARY = 'AWS_EC2_ODCR_UNDERUTILIZATION_NOTIFICATION_SUMMARY';

const RESERVATION_ID = /^cr-[0-9a-z]{8,17}$/;
/** `cr-01234567890abcdef | us-east-1b | t3.medium | Linux/UNIX | 0.0%` */
const SUMMARY_ENTITY = /^(cr-[0-9a-z]{8,17}) \| ([a-z0-9-]+) \| ([\w.-]+) \| (.+?) \| (\d+(?:\.\d+)?)%$/;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

const HealthDetailSchema = z
  .object({
    eventArn: identifier('an AWS Health event ARN'),
    service: z.string().min(1),
    eventTypeCode: z.string().min(1),
    eventTypeCategory: z.string().min(1),
    startTime: anyTime().optional(),
    endTime: anyTime().optional(),
    eventDescription: z.array(z.object({ language: z.string(), latestDescription: z.string() })).optional(),
    affectedEntities: z
      .array(
        z.object({
          entityValue: z.string().max(MAX_IDENTIFIER_LENGTH),
          tags: z.record(z.string(), z.string()).optional(),
        }),
      )
      .optional(),
  })
  .superRefine((d, ctx) => {
    // The two ODCR codes put the reservation (and, in the summary, its zone, type and use) in the entity.
    const pattern =
      d.eventTypeCode === ODCR_UNDERUTILIZATION_SUMMARY
        ? SUMMARY_ENTITY
        : d.eventTypeCode === ODCR_UNDERUTILIZATION
          ? RESERVATION_ID
          : undefined;
    if (!pattern) return;
    if (!d.affectedEntities?.length) {
      ctx.addIssue({ code: 'custom', path: ['affectedEntities'], message: 'at least one affected reservation' });
      return;
    }
    d.affectedEntities.forEach((e, i) => {
      if (!pattern.test(e.entityValue))
        ctx.addIssue({
          code: 'custom',
          path: ['affectedEntities', i, 'entityValue'],
          message:
            pattern === SUMMARY_ENTITY
              ? "'cr-id | zone | instance type | platform | utilization%'"
              : 'a capacity reservation id (cr-...)',
        });
    });
  });

/**
 * AWS Health Event. Acted on:
 * - `AWS_EC2_ODCR_UNDERUTILIZATION_NOTIFICATION` (one reservation) and `..._SUMMARY` (several, each entity
 *   `cr-id | zone | instance type | platform | utilization%`): a `reservation-change` of kind
 *   `underutilized`; the summary's utilization is the mean of the listed reservations.
 * - EC2 `scheduledChange` events that name instances (retirement, reboot or host maintenance): an
 *   `interruption` of kind `maintenance` whose deadline is the start time; the entities' tags map it to a
 *   fleet.
 * Everything else (issues, account notifications, test events) is a no-op.
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "d0f2a4c6-8e0a-4c2e-9b3d-5e7a9c1e3a5c",
 *   "detail-type": "AWS Health Event", "source": "aws.health",
 *   "account": "731482956104", "time": "2025-03-05T06:00:00Z", "region": "us-east-1",
 *   "resources": ["cr-0a1b2c3d4e5f67890 | us-east-1a | p5.48xlarge | Linux/UNIX | 25.0%"],
 *   "detail": { "eventArn": "arn:aws:health:us-east-1::event/EC2/AWS_EC2_ODCR_UNDERUTILIZATION_NOTIFICATION_SUMMARY/...",
 *     "service": "EC2", "eventTypeCode": "AWS_EC2_ODCR_UNDERUTILIZATION_NOTIFICATION_SUMMARY",
 *     "eventTypeCategory": "accountNotification", "startTime": "Wed, 5 Mar 2025 06:00:00 GMT",
 *     "affectedEntities": [{ "entityValue": "cr-0a1b2c3d4e5f67890 | us-east-1a | p5.48xlarge | Linux/UNIX | 25.0%" }] }
 * }
 * ```
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/cr-eventbridge.html
 * @see https://docs.aws.amazon.com/health/latest/ug/aws-health-concepts-and-terms.html
 */
export const HealthEventSchema = eventBridge('aws.health', ['AWS Health Event'], HealthDetailSchema);
export type HealthEvent = z.infer<typeof HealthEventSchema>;

const unique = <T>(xs: T[]) => [...new Set(xs)];
const only = <T>(xs: T[]) => (unique(xs).length === 1 ? xs[0] : undefined);

function underutilized(e: HealthEvent): ReservationChangeSignal {
  const entities = e.detail.affectedEntities ?? [];
  const rows = entities.map((x) => SUMMARY_ENTITY.exec(x.entityValue));
  const summary = rows.every((r) => r !== null) ? rows : undefined;
  const utilizations = summary?.map((r) => Number(r[5]) / 100);
  return compact({
    type: 'reservation-change',
    ...aws(e),
    kind: 'underutilized',
    reservationType: 'odcr',
    reservationIds: unique(summary ? summary.map((r) => r[1]!) : entities.map((x) => x.entityValue)),
    zone: summary && only(summary.map((r) => r[2]!)),
    instanceType: summary && only(summary.map((r) => r[3]!)),
    utilization: utilizations && utilizations.reduce((a, b) => a + b, 0) / utilizations.length,
    startTime: e.detail.startTime,
    endTime: e.detail.endTime,
  });
}

function maintenanceAction(code: string): string | undefined {
  if (code.includes('REBOOT')) return 'reboot';
  if (code.includes('RETIREMENT') || code.includes('STOP')) return 'stop';
  return undefined;
}

export const healthEvent: Decoder<typeof HealthEventSchema> = {
  schema: HealthEventSchema,
  toSignal: (e, ctx) => {
    const d = e.detail;
    if (d.eventTypeCode === ODCR_UNDERUTILIZATION || d.eventTypeCode === ODCR_UNDERUTILIZATION_SUMMARY) {
      const signal = underutilized(e);
      return withFleet(
        signal,
        signal.reservationIds.length === 1
          ? resolveFleet(ctx, { dimensions: { CapacityReservationId: signal.reservationIds[0]! } })
          : undefined,
      );
    }
    const instances = (d.affectedEntities ?? []).filter((x) => INSTANCE_ID.test(x.entityValue));
    if (d.service === 'EC2' && d.eventTypeCategory === 'scheduledChange' && instances.length > 0) {
      const signal: InterruptionSignal = compact({
        type: 'interruption',
        ...aws(e),
        kind: 'maintenance',
        instanceIds: instances.map((x) => x.entityValue),
        deadline: d.startTime,
        action: maintenanceAction(d.eventTypeCode),
      });
      return withFleet(signal, resolveFleet(ctx, { tags: instances[0]!.tags }));
    }
    return noop(e.source, `AWS Health ${d.eventTypeCategory} ${d.eventTypeCode}: not acted on`, e.id);
  },
};
