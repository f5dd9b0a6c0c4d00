import { z } from 'zod';
import type { CapacityNoticeSignal } from '../../../shared/domain/signals.ts';
import { resolveFleet, withFleet } from '../../context.ts';
import { ec2InstanceId, tryJson } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { base, eventBridge } from './eventbridge.ts';

const FLEET_ARN = /:fleet\/(fleet-[0-9a-f-]+)$/;

/**
 * EC2 Fleet Instance Change: an instance of an EC2 Fleet (type `maintain` or `request`) was launched,
 * terminated or notified of termination. Observed, not acted on: a `capacity-notice` whose pool is found
 * through the `FleetId` dimension mapping. `description` is JSON text (instance type, zone).
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "6b8d0f2a-4c6e-4a8b-9d1f-3e5a7c9e1b3d",
 *   "detail-type": "EC2 Fleet Instance Change", "source": "aws.ec2fleet",
 *   "account": "731482956104", "time": "2025-03-04T10:20:41Z", "region": "us-east-1",
 *   "resources": ["arn:aws:ec2:us-east-1:731482956104:fleet/fleet-7d3e1a9b-2c4f-4e6a-8b0d-1f3a5c7e9b2d"],
 *   "detail": { "instance-id": "i-0f9e8d7c6b5a43210", "sub-type": "launched",
 *     "description": "{\"instanceType\":\"g5.12xlarge\",\"image\":\"ami-0c1d2e3f4a5b6c7d8\",\"productDescription\":\"Linux/UNIX\",\"availabilityZone\":\"us-east-1b\"}" }
 * }
 * ```
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-fleet-event-types.html
 */
export const Ec2FleetInstanceChangeSchema = eventBridge(
  'aws.ec2fleet',
  ['EC2 Fleet Instance Change'],
  z.object({
    'instance-id': ec2InstanceId,
    'sub-type': z.string().min(1),
    description: z.string().optional(),
  }),
);
export type Ec2FleetInstanceChangeEvent = z.infer<typeof Ec2FleetInstanceChangeSchema>;

function describe(subType: string, description: string | undefined): string {
  const d = description === undefined ? undefined : tryJson(description)?.value;
  if (d && typeof d === 'object') {
    const { instanceType, availabilityZone } = d as Record<string, unknown>;
    const where = [instanceType, availabilityZone].filter((x) => typeof x === 'string').join(' in ');
    if (where) return `${subType}: ${where}`;
  }
  return subType;
}

export const ec2FleetInstanceChange: Decoder<typeof Ec2FleetInstanceChangeSchema> = {
  schema: Ec2FleetInstanceChangeSchema,
  toSignal: (e, ctx) => {
    const fleetId = e.resources.map((r) => FLEET_ARN.exec(r)?.[1]).find((x) => x !== undefined);
    const signal: CapacityNoticeSignal = {
      type: 'capacity-notice',
      ...base(e),
      cloud: 'aws',
      kind: 'fleet-change',
      instanceIds: [e.detail['instance-id']],
      detail: describe(e.detail['sub-type'], e.detail.description),
    };
    return withFleet(signal, fleetId ? resolveFleet(ctx, { dimensions: { FleetId: fleetId } }) : undefined);
  },
};
