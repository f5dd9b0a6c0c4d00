/**
 * Which events reach which function: the EventBridge rules as data. AWS services publish on the account's
 * default bus; the Azure and GCP forwarders publish on the autoscaler's own bus with the `autoscaler.*`
 * sources of shared/domain/forwarded.ts (the contract docs/deploy.md describes). Every (source, detail-type) here has a parser in
 * events/registry.ts (the offline tests check both directions). Pure: no SST globals.
 */
import { alarmRoutes } from '../shared/config/routing.ts';
import type { Config } from '../shared/config/schema.ts';
import { FORWARDED } from '../shared/domain/forwarded.ts';
import { DRAIN_DETAIL_TYPE, DRAIN_SOURCE } from '../shared/domain/drain-command.ts';
import { AGENT_DETAIL_TYPES, AGENT_SOURCES } from '../events/schemas/agent/node-notices.ts';
import { EC2_FLEET_LAUNCH_FAILURES } from '../events/schemas/aws/ec2-fleet-notice.ts';
import type { FunctionKey } from './function-specs.ts';

/** An EventBridge event pattern (the subset the rules use: value lists, `prefix`, nested `detail`). */
export type EventPattern = { [field: string]: EventPattern | (string | { prefix: string })[] };

export interface RuleSpec {
  /** Stable id, used in resource names (`<Id>Rule`). */
  id: string;
  bus: 'default' | 'autoscaler';
  target: FunctionKey;
  description: string;
  pattern: EventPattern;
}

/** What the node agent (agent/) puts on the autoscaler's bus besides Azure's Scheduled Events documents. */
export const AGENT_NOTICES = [
  { source: AGENT_SOURCES.awsImds, detailType: AGENT_DETAIL_TYPES.spotInstanceAction },
  { source: AGENT_SOURCES.awsImds, detailType: AGENT_DETAIL_TYPES.rebalanceRecommendation },
  { source: AGENT_SOURCES.gcpMetadata, detailType: AGENT_DETAIL_TYPES.gcePreempted },
  { source: AGENT_SOURCES.gcpMetadata, detailType: AGENT_DETAIL_TYPES.gceMaintenance },
] as const;

export const CAPACITY_BLOCK_DETAIL_TYPES = [
  // The Capacity Blocks page spells both forms; EventBridge has sent each.
  'Capacity Block Delivered',
  'Capacity Block Reservation Delivered',
  'Capacity Block Expiration Warning',
  'Capacity Block Reservation Expiration Warning',
] as const;

export const CAPACITY_RESERVATION_DETAIL_TYPES = [
  // Capacity Block end and interruptible reservation reclaim.
  'EC2 Capacity Reservation Instance Interruption Warning',
  // Future-dated Capacity Reservations.
  'EC2 Capacity Reservation Scheduled',
  'EC2 Capacity Reservation Delayed',
  'EC2 Capacity Reservation Active',
  'EC2 Capacity Reservation Expired',
  'EC2 Capacity Reservation Failed',
  'EC2 Capacity Reservation Unsupported',
] as const;

export const ODCR_HEALTH_CODES = [
  'AWS_EC2_ODCR_UNDERUTILIZATION_NOTIFICATION',
  'AWS_EC2_ODCR_UNDERUTILIZATION_NOTIFICATION_SUMMARY',
] as const;

/** The configured alarm names as a pattern: exact names, and prefixes for names ending in `*` (the app's rule). */
function alarmNames(config: Config): (string | { prefix: string })[] {
  const { alarms, alarmPrefixes } = alarmRoutes(config.alarms);
  return [...Object.keys(alarms), ...alarmPrefixes.map(({ prefix }) => ({ prefix }))];
}

/** The rules, in the order they are created. */
export function eventRules(config: Config): RuleSpec[] {
  const names = alarmNames(config);
  const alarmDetail: EventPattern = names.length > 0 ? { detail: { alarmName: names } } : {};
  return [
    {
      id: 'AlarmStateChange',
      bus: 'default',
      target: 'alarm',
      // With no `alarms` in the configuration every alarm in the account reaches the function, which
      // acknowledges the ones it cannot map to a fleet as no-ops.
      description: 'CloudWatch alarm state changes of the configured alarms',
      pattern: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], ...alarmDetail },
    },
    {
      id: 'SpotWarning',
      bus: 'default',
      target: 'spot-interruption',
      description: 'EC2 spot interruption warnings and rebalance recommendations',
      pattern: {
        source: ['aws.ec2'],
        'detail-type': ['EC2 Spot Instance Interruption Warning', 'EC2 Instance Rebalance Recommendation'],
      },
    },
    {
      // A launch the cloud could not make: the decision backs the offering off and places its share
      // elsewhere at once, instead of at the next alarm or forecast tick. Other launch and terminate results
      // are not routed (the groups reconcile them).
      id: 'GroupLaunchUnsuccessful',
      bus: 'default',
      target: 'spot-interruption',
      description: 'Auto Scaling launches that failed (EC2 Instance Launch Unsuccessful)',
      pattern: { source: ['aws.autoscaling'], 'detail-type': ['EC2 Instance Launch Unsuccessful'] },
    },
    {
      id: 'FleetLaunchFailure',
      bus: 'default',
      target: 'spot-interruption',
      description: 'EC2 Fleet launch specifications that could not launch (capacity or price)',
      pattern: {
        source: ['aws.ec2fleet'],
        'detail-type': Object.keys(EC2_FLEET_LAUNCH_FAILURES),
        detail: { 'sub-type': [...new Set(Object.values(EC2_FLEET_LAUNCH_FAILURES).flat())] },
      },
    },
    {
      id: 'CapacityBlock',
      bus: 'default',
      target: 'capacity-reservation',
      description: 'Capacity Block delivery, expiry and capacity reservation state changes',
      pattern: {
        source: ['aws.ec2'],
        'detail-type': [...CAPACITY_BLOCK_DETAIL_TYPES, ...CAPACITY_RESERVATION_DETAIL_TYPES],
      },
    },
    {
      id: 'HealthReservation',
      bus: 'default',
      target: 'capacity-reservation',
      description: 'AWS Health: On-Demand Capacity Reservation underutilisation',
      pattern: {
        source: ['aws.health'],
        'detail-type': ['AWS Health Event'],
        detail: { service: ['EC2'], eventTypeCode: [...ODCR_HEALTH_CODES] },
      },
    },
    {
      id: 'HealthScheduledChange',
      bus: 'default',
      target: 'capacity-reservation',
      description: 'AWS Health: scheduled EC2 maintenance (instance retirement, reboot, host maintenance)',
      pattern: {
        source: ['aws.health'],
        'detail-type': ['AWS Health Event'],
        detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] },
      },
    },
    {
      id: 'ForwardedPreemption',
      bus: 'autoscaler',
      target: 'spot-interruption',
      description: 'Azure Scheduled Events and Event Grid maintenance, GCP preemptions (from the forwarders)',
      pattern: {
        source: [
          FORWARDED.azureScheduledEvents.source,
          FORWARDED.azureEventGrid.source,
          FORWARDED.gcpPreemption.source,
        ],
        'detail-type': [
          FORWARDED.azureScheduledEvents.detailType,
          FORWARDED.azureEventGrid.detailType,
          FORWARDED.gcpPreemption.detailType,
        ],
      },
    },
    {
      id: 'AgentNotice',
      bus: 'autoscaler',
      target: 'spot-interruption',
      description: 'AWS IMDS spot and rebalance notices, GCE preemption and maintenance (from the node agent)',
      pattern: {
        source: [...new Set(AGENT_NOTICES.map((n) => n.source))],
        'detail-type': AGENT_NOTICES.map((n) => n.detailType),
      },
    },
    {
      id: 'DrainRequested',
      bus: 'autoscaler',
      target: 'drain',
      description: 'Drains handed off by the decisions on notices (shared/app/handoff.ts)',
      pattern: { source: [DRAIN_SOURCE], 'detail-type': [DRAIN_DETAIL_TYPE] },
    },
    {
      id: 'ForwardedAlert',
      bus: 'autoscaler',
      target: 'alarm',
      description: 'Azure Monitor alerts and GCP Monitoring incidents (from the forwarders)',
      pattern: {
        source: [FORWARDED.azureMonitor.source, FORWARDED.gcpMonitoring.source],
        'detail-type': [FORWARDED.azureMonitor.detailType, FORWARDED.gcpMonitoring.detailType],
      },
    },
  ];
}
