/**
 * What the node agent (agent/) puts on the autoscaler's bus from an instance metadata service that the
 * cloud does not forward to EventBridge itself: the AWS IMDS spot instance action and rebalance
 * recommendation, and the GCE metadata server's `instance/preempted` and `instance/maintenance-event`.
 * Azure's Scheduled Events document goes on the bus as `autoscaler.azure.scheduledevents`
 * (events/schemas/azure/scheduled-events.ts), which the forwarder contract already defined.
 *
 * Each notice's `eventId` comes from the notice itself, not from the EventBridge envelope: an agent that
 * restarts, or two polls that see one notice, put it twice with two envelope ids, and the functions must
 * act once.
 */
import { z } from 'zod';
import type { InterruptionSignal, Normalized } from '../../../shared/domain/signals.ts';
import { compact, noop } from '../../context.ts';
import { addSeconds, awsRegion, ec2InstanceId, identifier, isoTime } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';
import { eventBridge } from '../aws/eventbridge.ts';
import { imdsSpotSignal } from '../aws/imds-spot-instance-action.ts';
import { PREEMPTION_GRACE_SECONDS } from '../gcp/audit-log.ts';

export const AGENT_SOURCES = {
  awsImds: 'autoscaler.aws.imds',
  gcpMetadata: 'autoscaler.gcp.metadata',
} as const;

export const AGENT_DETAIL_TYPES = {
  spotInstanceAction: 'EC2 Spot Instance Action',
  rebalanceRecommendation: 'EC2 Rebalance Recommendation',
  gcePreempted: 'GCE Instance Preempted',
  gceMaintenance: 'GCE Maintenance Event',
} as const;

/** Who saw the notice: the Kubernetes node the agent runs on (for logs and audit, not for mapping). */
const nodeName = z.string().min(1).max(253).optional();

/**
 * `latest/meta-data/spot/instance-action` with what the agent read beside it from IMDS (`instance-id`,
 * `placement/region`, `placement/availability-zone`).
 *
 * @example
 * ```json
 * { "source": "autoscaler.aws.imds", "detail-type": "EC2 Spot Instance Action",
 *   "detail": { "action": "terminate", "time": "2025-03-04T10:17:00Z", "instance-id": "i-0a1b2c3d4e5f60718",
 *     "region": "us-east-1", "availability-zone": "us-east-1a", "node": "ip-10-0-1-23.ec2.internal" } }
 * ```
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html
 */
export const AgentSpotInstanceActionSchema = eventBridge(
  AGENT_SOURCES.awsImds,
  [AGENT_DETAIL_TYPES.spotInstanceAction],
  z.object({
    action: z.enum(['terminate', 'stop', 'hibernate']),
    time: isoTime(),
    'instance-id': ec2InstanceId,
    region: awsRegion.optional(),
    'availability-zone': identifier('an Availability Zone such as us-east-1a').optional(),
    node: nodeName,
  }),
);

export const agentSpotInstanceAction: Decoder<typeof AgentSpotInstanceActionSchema> = {
  schema: AgentSpotInstanceActionSchema,
  // The same signal and id the bare IMDS document gives (events/schemas/aws/imds-spot-instance-action.ts).
  toSignal: (e): InterruptionSignal => imdsSpotSignal(e.detail, e.region),
};

/**
 * `latest/meta-data/events/recommendations/rebalance` (`{"noticeTime": "..."}`) with the instance's id and
 * placement. A recommendation has no deadline.
 *
 * @example
 * ```json
 * { "source": "autoscaler.aws.imds", "detail-type": "EC2 Rebalance Recommendation",
 *   "detail": { "noticeTime": "2025-03-04T10:05:00Z", "instance-id": "i-0a1b2c3d4e5f60718", "region": "us-east-1",
 *     "availability-zone": "us-east-1a" } }
 * ```
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/rebalance-recommendations.html
 */
export const AgentRebalanceRecommendationSchema = eventBridge(
  AGENT_SOURCES.awsImds,
  [AGENT_DETAIL_TYPES.rebalanceRecommendation],
  z.object({
    noticeTime: isoTime(),
    'instance-id': ec2InstanceId,
    region: awsRegion.optional(),
    'availability-zone': identifier('an Availability Zone such as us-east-1a').optional(),
    node: nodeName,
  }),
);

export const agentRebalanceRecommendation: Decoder<typeof AgentRebalanceRecommendationSchema> = {
  schema: AgentRebalanceRecommendationSchema,
  toSignal: (e): InterruptionSignal => {
    const d = e.detail;
    return compact({
      type: 'interruption',
      eventId: `imds-rebalance:${d['instance-id']}@${d.noticeTime}`,
      source: 'aws.ec2',
      time: d.noticeTime,
      cloud: 'aws',
      kind: 'rebalance',
      instanceIds: [d['instance-id']],
      zone: d['availability-zone'],
      region: d.region ?? e.region,
    });
  },
};

const gceInstance = {
  /** The numeric instance id (`instance/id`): stable across a VM's restarts under one name. */
  instanceId: identifier('a GCE instance id (digits)', /^\d{1,20}$/),
  /** `instance/name`: the name managed instance groups and the audit logs use. */
  instanceName: identifier('a GCE instance name', /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/),
  /** The zone's short name (the metadata server says `projects/NUMBER/zones/ZONE`; the agent keeps ZONE). */
  zone: identifier('a GCE zone such as us-central1-a', /^[a-z]+-[a-z]+\d+-[a-z]$/),
  project: z.string().min(1).optional(),
  /** When the agent saw the value change (the metadata server dates nothing). */
  observedAt: isoTime(),
  node: nodeName,
};

const regionOfZone = (zone: string) => zone.replace(/-[a-z]$/, '');

/**
 * `instance/preempted` turned `TRUE`: Compute Engine is stopping the Spot or preemptible VM, 30 seconds
 * after the ACPI soft-off.
 *
 * @example
 * ```json
 * { "source": "autoscaler.gcp.metadata", "detail-type": "GCE Instance Preempted",
 *   "detail": { "preempted": "TRUE", "instanceId": "4519212781923094417", "instanceName": "chat-l4-spot-7x2k",
 *     "zone": "us-central1-a", "project": "gpu-fleet", "observedAt": "2025-03-04T10:15:01Z" } }
 * ```
 * @see https://cloud.google.com/compute/docs/instances/create-use-spot#detect-preemption
 */
export const AgentGcePreemptedSchema = eventBridge(
  AGENT_SOURCES.gcpMetadata,
  [AGENT_DETAIL_TYPES.gcePreempted],
  z.object({ preempted: z.literal('TRUE'), ...gceInstance }),
);

export const agentGcePreempted: Decoder<typeof AgentGcePreemptedSchema> = {
  schema: AgentGcePreemptedSchema,
  toSignal: (e): InterruptionSignal => {
    const d = e.detail;
    return compact({
      type: 'interruption',
      // A VM is preempted once per run: the id and the time seen identify this preemption.
      eventId: `gce-preempted:${d.instanceId}@${d.observedAt}`,
      source: 'gcp.compute.preemption',
      time: d.observedAt,
      cloud: 'gcp',
      kind: 'preempt',
      instanceIds: [d.instanceName],
      deadline: addSeconds(d.observedAt, PREEMPTION_GRACE_SECONDS),
      zone: d.zone,
      region: regionOfZone(d.zone),
    });
  },
};

/**
 * The metadata server changes `maintenance-event` 60 seconds before a host maintenance event (docs:
 * "Query metadata server for maintenance event notices"): the deadline is the time seen plus 60 s.
 */
export const MAINTENANCE_NOTICE_SECONDS = 60;

/**
 * `instance/maintenance-event` changed. `TERMINATE_ON_HOST_MAINTENANCE` (GPU VMs cannot live-migrate)
 * takes the VM away: a maintenance interruption. `MIGRATE_ON_HOST_MAINTENANCE` keeps it (a live
 * migration), and `NONE` ends a notice: no-ops.
 *
 * @example
 * ```json
 * { "source": "autoscaler.gcp.metadata", "detail-type": "GCE Maintenance Event",
 *   "detail": { "maintenanceEvent": "TERMINATE_ON_HOST_MAINTENANCE", "instanceId": "4519212781923094417",
 *     "instanceName": "chat-l4-od-p9q1", "zone": "us-central1-a", "observedAt": "2025-03-04T10:15:01Z" } }
 * ```
 * @see https://cloud.google.com/compute/docs/metadata/getting-live-migration-notice
 */
export const AgentGceMaintenanceSchema = eventBridge(
  AGENT_SOURCES.gcpMetadata,
  [AGENT_DETAIL_TYPES.gceMaintenance],
  z.object({
    maintenanceEvent: z.enum(['NONE', 'MIGRATE_ON_HOST_MAINTENANCE', 'TERMINATE_ON_HOST_MAINTENANCE']),
    ...gceInstance,
  }),
);

export const agentGceMaintenance: Decoder<typeof AgentGceMaintenanceSchema> = {
  schema: AgentGceMaintenanceSchema,
  toSignal: (e): Normalized => {
    const d = e.detail;
    const eventId = `gce-maintenance:${d.instanceId}:${d.maintenanceEvent}@${d.observedAt}`;
    if (d.maintenanceEvent !== 'TERMINATE_ON_HOST_MAINTENANCE') {
      const why = d.maintenanceEvent === 'NONE' ? 'no maintenance pending' : 'a live migration keeps the VM';
      return noop('gcp.compute.maintenance', `${d.maintenanceEvent} on ${d.instanceName}: ${why}`, eventId);
    }
    return compact<InterruptionSignal>({
      type: 'interruption',
      eventId,
      source: 'gcp.compute.maintenance',
      time: d.observedAt,
      cloud: 'gcp',
      kind: 'maintenance',
      instanceIds: [d.instanceName],
      deadline: addSeconds(d.observedAt, MAINTENANCE_NOTICE_SECONDS),
      action: 'terminate',
      zone: d.zone,
      region: regionOfZone(d.zone),
    });
  },
};
