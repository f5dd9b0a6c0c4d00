import { z } from 'zod';
import type { CapacityNoticeSignal } from '../../../shared/domain/signals.ts';
import { compact, resolveFleet, withFleet } from '../../context.ts';
import type { Decoder } from '../../parse.ts';
import { base, eventBridge } from './eventbridge.ts';

const FLEET_ARN = /:fleet\/(fleet-[0-9a-f-]+)$/;

/**
 * The sub-types that say the fleet could not launch (EC2 API reference, `EventInformation.eventSubType`):
 * - `launchSpecTemporarilyBlacklisted` (Information): several attempts to launch one launch specification
 *   failed (the description gives the cloud's error, e.g. insufficient capacity); it is not retried for a
 *   while;
 * - `launchSpecUnusable` (Information): the price of a launch specification is below the Spot price (or the
 *   Spot price is above the On-Demand price): nothing launches there at that price;
 * - `fleetProgressHalted` (Information): every launch specification is unusable for its price;
 * - `allLaunchSpecsTemporarilyBlacklisted` (Error): no launch specification can be used, several attempts
 *   to launch failed.
 * Every other sub-type (the IAM role, the configuration, the Spot Instance count limit, load balancers) is
 * observed: backing the offering off would not make it launch.
 */
export const EC2_FLEET_LAUNCH_FAILURES = {
  'EC2 Fleet Information': ['launchSpecTemporarilyBlacklisted', 'launchSpecUnusable', 'fleetProgressHalted'],
  'EC2 Fleet Error': ['allLaunchSpecsTemporarilyBlacklisted'],
} as const satisfies Record<string, readonly string[]>;

/**
 * EC2 Fleet Information and EC2 Fleet Error events (fleets of type `maintain` or `request`). A sub-type that
 * says the fleet could not launch (`EC2_FLEET_LAUNCH_FAILURES`) is a `capacity-notice` of kind
 * `launch-unsuccessful`, whose pool is found from the fleet id in `resources` (the `FleetId` dimension
 * mapping: an `ec2-fleet` pool's resource), as the Auto Scaling `EC2 Instance Launch Unsuccessful` is: the
 * decision backs the pool's offering off and places its share elsewhere. Other sub-types are a
 * `capacity-notice` of kind `fleet-information` or `fleet-error`, observed only. `description` is the
 * fleet's free text (`<type>, <image>, <platform>, <zone>...` and the error), kept in the signal's detail; for
 * a failure of one launch specification its zone goes in the signal too (`specificationZone`), so the decision
 * backs off that zone only, as it does for an Auto Scaling group's.
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "3c5e7a9c-1e3a-4c5e-9a7c-5e7a9c1e3a5c",
 *   "detail-type": "EC2 Fleet Error", "source": "aws.ec2fleet",
 *   "account": "731482956104", "time": "2025-03-04T10:21:12Z", "region": "us-east-1",
 *   "resources": ["arn:aws:ec2:us-east-1:731482956104:fleet/fleet-7d3e1a9b-2c4f-4e6a-8b0d-1f3a5c7e9b2d"],
 *   "detail": { "sub-type": "allLaunchSpecsTemporarilyBlacklisted",
 *     "description": "g5.12xlarge, ami-0c1d2e3f4a5b6c7d8, Linux/UNIX, us-east-1b: InsufficientInstanceCapacity" }
 * }
 * ```
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-fleet-event-types.html
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EventInformation.html
 */
export const Ec2FleetNoticeSchema = eventBridge(
  'aws.ec2fleet',
  ['EC2 Fleet Information', 'EC2 Fleet Error'],
  z.object({
    'sub-type': z.string({ error: 'the event sub-type (e.g. launchSpecTemporarilyBlacklisted)' }).min(1),
    description: z.string().optional(),
  }),
);
export type Ec2FleetNoticeEvent = z.infer<typeof Ec2FleetNoticeSchema>;

/**
 * The sub-types about one launch specification, whose zone the description names (`<type>, <image>,
 * <platform>, <zone>`): a fleet whose specification failed in one zone launches in its others (its allocation
 * strategy picks among the usable specifications), so only that zone is backed off. `fleetProgressHalted` and
 * `allLaunchSpecsTemporarilyBlacklisted` are about every specification: the whole pool.
 */
const ONE_SPECIFICATION = new Set(['launchSpecTemporarilyBlacklisted', 'launchSpecUnusable']);

/**
 * The zone a launch specification's description names: the event's region followed by one letter
 * (`us-east-1b` in `g5.12xlarge, ami-..., Linux/UNIX, us-east-1b: InsufficientInstanceCapacity`), when exactly
 * one zone is named. EC2 gives no structured field for it, so this reads the free text, and names nothing when
 * the text names no zone, or several.
 */
export function specificationZone(description: string | undefined, region: string): string | undefined {
  if (!description || !region) return undefined;
  const escaped = region.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const zones = new Set(description.match(new RegExp(`(?<![\\w-])${escaped}[a-z](?![\\w-])`, 'g')) ?? []);
  return zones.size === 1 ? [...zones][0] : undefined;
}

/** Whether an EC2 Fleet event of this detail-type and sub-type says the fleet could not launch. */
export function isEc2FleetLaunchFailure(detailType: string, subType: string): boolean {
  const failures: readonly string[] =
    EC2_FLEET_LAUNCH_FAILURES[detailType as keyof typeof EC2_FLEET_LAUNCH_FAILURES] ?? [];
  return failures.includes(subType);
}

export const ec2FleetNotice: Decoder<typeof Ec2FleetNoticeSchema> = {
  schema: Ec2FleetNoticeSchema,
  toSignal: (e, ctx) => {
    const fleetId = e.resources.map((r) => FLEET_ARN.exec(r)?.[1]).find((x) => x !== undefined);
    const subType = e.detail['sub-type'];
    const failed = isEc2FleetLaunchFailure(e['detail-type'], subType);
    const what = [fleetId, subType, e.detail.description].filter((x) => x !== undefined && x !== '').join(': ');
    const zone =
      failed && ONE_SPECIFICATION.has(subType) ? specificationZone(e.detail.description, e.region) : undefined;
    const signal: CapacityNoticeSignal = compact({
      type: 'capacity-notice',
      ...base(e),
      cloud: 'aws',
      kind: failed
        ? 'launch-unsuccessful'
        : e['detail-type'] === 'EC2 Fleet Error'
          ? 'fleet-error'
          : 'fleet-information',
      instanceIds: [],
      detail: what,
      zone,
    });
    return withFleet(signal, fleetId ? resolveFleet(ctx, { dimensions: { FleetId: fleetId } }) : undefined);
  },
};
