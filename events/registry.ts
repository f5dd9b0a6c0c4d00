/**
 * EventBridge events are looked up by (source, detail-type), as Karpenter's interruption parsers are. The
 * pairs come from each schema itself (its `source` literal and `detail-type` enum), so a schema and its
 * registration cannot drift apart. An EventBridge event not listed here is acknowledged as a no-op.
 */
import type { z } from 'zod';
import type { Decoder } from './parse.ts';
import { autoScalingLifecycleAction, autoScalingResult } from './schemas/aws/autoscaling.ts';
import { capacityBlock } from './schemas/aws/capacity-block.ts';
import { capacityReservationInterruption } from './schemas/aws/capacity-reservation-interruption.ts';
import { cloudWatchAlarmConfigurationChange, cloudWatchAlarmStateChange } from './schemas/aws/cloudwatch-alarm.ts';
import { ec2FleetInstanceChange } from './schemas/aws/ec2-fleet-instance-change.ts';
import { ec2FleetNotice } from './schemas/aws/ec2-fleet-notice.ts';
import { futureCapacityReservation } from './schemas/aws/future-capacity-reservation.ts';
import { healthEvent } from './schemas/aws/health.ts';
import { instanceStateChange } from './schemas/aws/instance-state-change.ts';
import { rebalanceRecommendation } from './schemas/aws/rebalance-recommendation.ts';
import { scheduledEvent } from './schemas/aws/scheduled-event.ts';
import { spotInterruptionWarning } from './schemas/aws/spot-interruption.ts';
import { forwardedScheduledEvents } from './schemas/azure/scheduled-events.ts';
import { operatorCommandEvent } from './schemas/ops/operator-command.ts';
import { drainCommandEvent } from './schemas/autoscaler/drain-command.ts';
import {
  agentGceMaintenance,
  agentGcePreempted,
  agentRebalanceRecommendation,
  agentSpotInstanceAction,
} from './schemas/agent/node-notices.ts';

export interface EventBridgeRoute {
  source: string;
  detailTypes: readonly string[];
  decoder: Decoder;
}

function eventBridgeRoute(decoder: Decoder): EventBridgeRoute {
  const shape = (decoder.schema as z.ZodObject).shape;
  return {
    source: (shape.source as z.ZodLiteral<string>).value,
    detailTypes: (shape['detail-type'] as z.ZodEnum).options as string[],
    decoder,
  };
}

/** Every EventBridge event the autoscaler knows, acted on or deliberately not. */
export const EVENTBRIDGE_ROUTES: readonly EventBridgeRoute[] = [
  cloudWatchAlarmStateChange,
  cloudWatchAlarmConfigurationChange,
  spotInterruptionWarning,
  rebalanceRecommendation,
  instanceStateChange,
  ec2FleetInstanceChange,
  ec2FleetNotice,
  autoScalingLifecycleAction,
  autoScalingResult,
  capacityBlock,
  capacityReservationInterruption,
  futureCapacityReservation,
  healthEvent,
  scheduledEvent,
  forwardedScheduledEvents,
  operatorCommandEvent,
  drainCommandEvent,
  agentSpotInstanceAction,
  agentRebalanceRecommendation,
  agentGcePreempted,
  agentGceMaintenance,
].map((d) => eventBridgeRoute(d as Decoder));

const BY_KEY = new Map<string, Decoder>(
  EVENTBRIDGE_ROUTES.flatMap((r) => r.detailTypes.map((dt) => [`${r.source}\u0000${dt}`, r.decoder] as const)),
);

export const findEventBridgeDecoder = (source: string, detailType: string): Decoder | undefined =>
  BY_KEY.get(`${source}\u0000${detailType}`);
