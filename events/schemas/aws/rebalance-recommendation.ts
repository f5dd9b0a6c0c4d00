import { compact } from '../../context.ts';
import { z } from 'zod';
import type { InterruptionSignal } from '../../../shared/domain/signals.ts';
import { ec2InstanceId } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { aws, zoneOfInstance, eventBridge } from './eventbridge.ts';

/**
 * EC2 Instance Rebalance Recommendation: a spot instance is at elevated risk of interruption. No deadline:
 * it usually comes before the two-minute warning, sometimes with it, sometimes alone.
 *
 * @example
 * ```json
 * {
 *   "version": "0", "id": "8e2f4a6c-1b3d-4e5f-9a7b-2c4d6e8f0a1b",
 *   "detail-type": "EC2 Instance Rebalance Recommendation", "source": "aws.ec2",
 *   "account": "731482956104", "time": "2025-03-04T10:05:12Z", "region": "us-east-1",
 *   "resources": ["arn:aws:ec2:us-east-1:731482956104:instance/i-0a1b2c3d4e5f60718"],
 *   "detail": { "instance-id": "i-0a1b2c3d4e5f60718" }
 * }
 * ```
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/rebalance-recommendations.html
 */
export const RebalanceRecommendationSchema = eventBridge(
  'aws.ec2',
  ['EC2 Instance Rebalance Recommendation'],
  z.object({ 'instance-id': ec2InstanceId }),
);
export type RebalanceRecommendationEvent = z.infer<typeof RebalanceRecommendationSchema>;

export const rebalanceRecommendation: Decoder<typeof RebalanceRecommendationSchema> = {
  schema: RebalanceRecommendationSchema,
  toSignal: (e): InterruptionSignal =>
    compact({
      type: 'interruption',
      ...aws(e),
      kind: 'rebalance',
      instanceIds: [e.detail['instance-id']],
      zone: zoneOfInstance(e, e.detail['instance-id']),
    }),
};
