/**
 * Real event payloads for what happens in the simulated world, as each cloud delivers them: an EventBridge
 * CloudWatch Alarm State Change, an EC2 Spot Instance Interruption Warning and Rebalance Recommendation,
 * Capacity Block events, a launch the cloud could not make (Auto Scaling's EC2 Instance Launch Unsuccessful,
 * an EC2 Fleet Error), an Azure Scheduled Events document put on the bus by the forwarder, a GCP
 * preemption audit-log entry pushed by Pub/Sub, an EventBridge scheduled rule tick. The functions parse
 * them with the same schemas as in production.
 */
import { FORWARDED } from '../../shared/domain/forwarded.ts';

const ACCOUNT = '123456789012';

export interface EnvelopeOptions {
  id: string;
  time: Date;
  region?: string;
}

function eventBridge(o: EnvelopeOptions, source: string, detailType: string, resources: string[], detail: unknown) {
  return {
    version: '0',
    id: o.id,
    'detail-type': detailType,
    source,
    account: ACCOUNT,
    time: o.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: o.region ?? 'us-east-1',
    resources,
    detail,
  };
}

/** CloudWatch's timestamp format in alarm events (`2019-10-02T17:04:40.989+0000`). */
const cwTime = (d: Date) => d.toISOString().replace('Z', '+0000');

export interface AlarmChange {
  alarmName: string;
  state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  previousState: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  /** The datapoints the alarm evaluated, newest last. */
  datapoints: number[];
  threshold: number;
  comparison: 'GreaterThanThreshold' | 'LessThanThreshold';
  periodSeconds: number;
}

export function alarmStateChange(o: EnvelopeOptions, a: AlarmChange) {
  const region = o.region ?? 'us-east-1';
  const crossed = a.comparison === 'GreaterThanThreshold' ? 'greater than' : 'less than';
  const reasonData = {
    version: '1.0',
    queryDate: cwTime(o.time),
    startDate: cwTime(new Date(o.time.getTime() - a.periodSeconds * a.datapoints.length * 1000)),
    statistic: 'Average',
    period: a.periodSeconds,
    recentDatapoints: a.datapoints,
    threshold: a.threshold,
  };
  return eventBridge(
    o,
    'aws.cloudwatch',
    'CloudWatch Alarm State Change',
    [`arn:aws:cloudwatch:${region}:${ACCOUNT}:alarm:${a.alarmName}`],
    {
      alarmName: a.alarmName,
      configuration: {
        description: `${a.metricName} ${crossed} ${a.threshold}`,
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: { dimensions: a.dimensions, name: a.metricName, namespace: a.namespace },
              period: a.periodSeconds,
              stat: 'Average',
            },
            returnData: true,
          },
        ],
      },
      previousState: {
        reason: `previously ${a.previousState}`,
        timestamp: cwTime(new Date(o.time.getTime() - 60_000)),
        value: a.previousState,
      },
      state: {
        reason: `Threshold Crossed: ${a.datapoints.length} out of the last ${a.datapoints.length} datapoints [${a.datapoints.join(', ')}] ${a.state === 'ALARM' ? 'was' : 'was not'} ${crossed} the threshold (${a.threshold}).`,
        reasonData: JSON.stringify(reasonData),
        timestamp: cwTime(o.time),
        value: a.state,
      },
    },
  );
}

export function spotInterruptionWarning(o: EnvelopeOptions, instanceId: string, zone: string) {
  return eventBridge(
    o,
    'aws.ec2',
    'EC2 Spot Instance Interruption Warning',
    [`arn:aws:ec2:${zone}:instance/${instanceId}`],
    {
      'instance-id': instanceId,
      'instance-action': 'terminate',
    },
  );
}

export function rebalanceRecommendation(o: EnvelopeOptions, instanceId: string, zone: string) {
  return eventBridge(
    o,
    'aws.ec2',
    'EC2 Instance Rebalance Recommendation',
    [`arn:aws:ec2:${zone}:instance/${instanceId}`],
    {
      'instance-id': instanceId,
    },
  );
}

export function capacityBlockEvent(
  o: EnvelopeOptions,
  kind: 'delivered' | 'expiring',
  reservationId: string,
  endDate: Date,
) {
  const region = o.region ?? 'us-east-1';
  return eventBridge(
    o,
    'aws.ec2',
    kind === 'delivered' ? 'Capacity Block Reservation Delivered' : 'Capacity Block Reservation Expiration Warning',
    [`arn:aws:ec2:${region}:${ACCOUNT}:capacity-reservation/${reservationId}`],
    { 'capacity-reservation-id': reservationId, 'end-date': endDate.toISOString().replace(/\.\d{3}Z$/, 'Z') },
  );
}

/**
 * Auto Scaling's `EC2 Instance Launch Unsuccessful`: the group could not launch an instance in `zone` for lack
 * of capacity (EC2's `InsufficientInstanceCapacity` text as the group's activity gives it).
 */
export function autoScalingLaunchUnsuccessful(
  o: EnvelopeOptions,
  group: { name: string; instanceType: string; zone: string; subnetId: string; previous: number; desired: number },
) {
  const region = o.region ?? 'us-east-1';
  const at = o.time.toISOString();
  const message =
    `We currently do not have sufficient ${group.instanceType} capacity in the Availability Zone you requested (${group.zone}). ` +
    'Our system will be working on provisioning additional capacity. You can currently get capacity by not specifying ' +
    'an Availability Zone in your request or choosing a different Availability Zone. Launching EC2 instance failed.';
  return eventBridge(
    o,
    'aws.autoscaling',
    'EC2 Instance Launch Unsuccessful',
    [`arn:aws:autoscaling:${region}:${ACCOUNT}:autoScalingGroup:${o.id}:autoScalingGroupName/${group.name}`],
    {
      Origin: 'EC2',
      Destination: 'AutoScalingGroup',
      StatusCode: 'Failed',
      AutoScalingGroupName: group.name,
      ActivityId: o.id,
      Description: `Launching a new EC2 instance.  Status Reason: ${message}`,
      Details: { 'Availability Zone': group.zone, 'Subnet ID': group.subnetId },
      RequestId: o.id,
      StatusMessage: message,
      EndTime: at,
      EC2InstanceId: '',
      StartTime: at,
      Cause:
        `At ${at.replace(/\.\d{3}Z$/, 'Z')} an instance was started in response to a difference between desired and actual ` +
        `capacity, increasing the capacity from ${group.previous} to ${group.desired}.`,
    },
  );
}

/**
 * EC2 Fleet's `EC2 Fleet Error` `allLaunchSpecsTemporarilyBlacklisted`: no launch specification of the fleet
 * (one per zone here) could launch, for lack of capacity. The description is the fleet's free text.
 */
export function ec2FleetLaunchSpecsBlacklisted(
  o: EnvelopeOptions,
  fleet: { fleetId: string; instanceType: string; zones: readonly string[]; spot: boolean },
) {
  const region = o.region ?? 'us-east-1';
  const specs = fleet.zones.map((z) => `${fleet.instanceType}, Linux/UNIX, ${z}`).join('; ');
  const error = fleet.spot
    ? 'There is no Spot capacity available that matches your request.'
    : `We currently do not have sufficient ${fleet.instanceType} capacity in the Availability Zones you requested.`;
  return eventBridge(
    o,
    'aws.ec2fleet',
    'EC2 Fleet Error',
    [`arn:aws:ec2:${region}:${ACCOUNT}:fleet/${fleet.fleetId}`],
    {
      'sub-type': 'allLaunchSpecsTemporarilyBlacklisted',
      description: `${specs}: InsufficientInstanceCapacity: ${error}`,
    },
  );
}

/** An EventBridge scheduled rule's tick (`Scheduled Event`); the rule's name says what it is for. */
export function scheduledTick(o: EnvelopeOptions, ruleName: string) {
  const region = o.region ?? 'us-east-1';
  return eventBridge(o, 'aws.events', 'Scheduled Event', [`arn:aws:events:${region}:${ACCOUNT}:rule/${ruleName}`], {});
}

/** RFC 1123, as IMDS writes `NotBefore`. */
const httpDate = (d: Date) => d.toUTCString();

/** The Azure forwarder's event: the IMDS Scheduled Events document of a VM and where the VM is. */
export function azurePreempt(
  o: EnvelopeOptions,
  vm: {
    name: string;
    scaleSet: string;
    resourceGroup: string;
    subscriptionId: string;
    location: string;
    zone?: string;
  },
  notBefore: Date,
  incarnation: number,
) {
  const { source, detailType } = FORWARDED.azureScheduledEvents;
  return eventBridge(o, source, detailType, [], {
    DocumentIncarnation: incarnation,
    Events: [
      {
        EventId: o.id.toUpperCase(),
        EventStatus: 'Scheduled',
        EventType: 'Preempt',
        ResourceType: 'VirtualMachine',
        Resources: [vm.name],
        NotBefore: httpDate(notBefore),
        Description: '',
        EventSource: 'Platform',
        DurationInSeconds: -1,
      },
    ],
    vmScaleSetName: vm.scaleSet,
    resourceGroupName: vm.resourceGroup,
    subscriptionId: vm.subscriptionId,
    location: vm.location,
    ...(vm.zone ? { zone: vm.zone } : {}),
  });
}

/** A GCP preemption audit-log entry, as a log sink's Pub/Sub push subscription delivers it. */
export function gcpPreemption(
  o: EnvelopeOptions,
  instance: { name: string; project: string; zone: string; numericId: string },
) {
  const entry = {
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      status: { message: 'Instance was preempted.' },
      authenticationInfo: { principalEmail: 'system@google.com' },
      serviceName: 'compute.googleapis.com',
      methodName: 'compute.instances.preempted',
      resourceName: `projects/${instance.project}/zones/${instance.zone}/instances/${instance.name}`,
      request: { '@type': 'type.googleapis.com/compute.instances.preempted' },
    },
    insertId: o.id.replace(/-/g, '').slice(0, 12),
    resource: {
      type: 'gce_instance',
      labels: { instance_id: instance.numericId, project_id: instance.project, zone: instance.zone },
    },
    timestamp: o.time.toISOString(),
    severity: 'INFO',
    logName: `projects/${instance.project}/logs/cloudaudit.googleapis.com%2Fsystem_event`,
    operation: { id: `systemevent-${o.id}`, producer: 'compute.instances.preempted', first: true, last: true },
    receiveTimestamp: new Date(o.time.getTime() + 600).toISOString(),
  };
  return {
    message: {
      data: Buffer.from(JSON.stringify(entry)).toString('base64'),
      messageId: String(BigInt(`0x${o.id.replace(/-/g, '').slice(0, 12)}`)),
      publishTime: new Date(o.time.getTime() + 800).toISOString(),
      attributes: { 'logging.googleapis.com/timestamp': o.time.toISOString() },
    },
    subscription: `projects/${instance.project}/subscriptions/gpu-autoscaler-preemptions`,
  };
}

/** An operator's command, as the ops function takes it. */
export function operatorCommand(c: Record<string, unknown>) {
  return { ...c };
}
