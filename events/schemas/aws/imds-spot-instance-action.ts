import { z } from 'zod';
import type { InterruptionSignal } from '../../../shared/domain/signals.ts';
import { compact } from '../../context.ts';
import { addSeconds, awsRegion, identifier, isoTime } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { SPOT_WARNING_SECONDS } from './spot-interruption.ts';

/**
 * The IMDS `latest/meta-data/spot/instance-action` document (`{"action": "terminate", "time": "..."}`) as
 * an on-instance forwarder sends it: IMDS itself does not say which instance it is about, so the forwarder
 * adds `instance-id` (and may add `region` and `availability-zone`) from the same metadata service. A bare
 * document without `instance-id` is malformed: nothing could be done with it. `time` is the deadline (and
 * the notice is dated two minutes before it, as EC2 posts it). The
 * signal's `eventId` is `imds-spot:<instance-id>@<time>`, the same for every poll that sees the notice.
 *
 * @example
 * ```json
 * { "action": "terminate", "time": "2025-03-04T10:17:00Z", "instance-id": "i-0a1b2c3d4e5f60718",
 *   "region": "us-east-1", "availability-zone": "us-east-1a" }
 * ```
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html
 */
export const ImdsSpotInstanceActionSchema = z.object({
  action: z.enum(['terminate', 'stop', 'hibernate']),
  time: isoTime(),
  'instance-id': identifier('the EC2 instance id a forwarder adds to the IMDS document (i-...)', /^i-[0-9a-f]{8,17}$/),
  region: awsRegion.optional(),
  'availability-zone': identifier('an Availability Zone such as us-east-1a').optional(),
});
export type ImdsSpotInstanceAction = z.infer<typeof ImdsSpotInstanceActionSchema>;

/**
 * The interruption an IMDS spot instance-action document says, with the region it came from when the document
 * does not carry one (the agent's envelope, events/schemas/agent/node-notices.ts, gives the same id for it).
 */
export function imdsSpotSignal(d: ImdsSpotInstanceAction, region?: string): InterruptionSignal {
  return compact({
    type: 'interruption',
    eventId: `imds-spot:${d['instance-id']}@${d.time}`,
    source: 'aws.ec2',
    // IMDS shows the notice two minutes before `time`.
    time: addSeconds(d.time, -SPOT_WARNING_SECONDS),
    cloud: 'aws',
    kind: 'warning',
    instanceIds: [d['instance-id']],
    deadline: d.time,
    action: d.action,
    zone: d['availability-zone'],
    region: d.region ?? region,
  });
}

export const imdsSpotInstanceAction: Decoder<typeof ImdsSpotInstanceActionSchema> = {
  schema: ImdsSpotInstanceActionSchema,
  toSignal: (d) => imdsSpotSignal(d),
};
