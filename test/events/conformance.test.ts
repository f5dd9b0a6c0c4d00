/**
 * Conformance on real payloads: every file of ../shared/corpus/{aws,azure,gcp} is normalized and compared
 * with the outcome this table says it must have: a signal (key fields), a no-op, or a ParseError (path).
 * The corpus sits beside the repository in CI and on the team's machines, not in a user's clone: there the
 * suite is skipped. A corpus file missing from the table fails with a request to add it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { safeNormalize } from '../../events/index.ts';
import { CORPUS_CLOUDS, CORPUS_DIR, HAS_CORPUS, NormalizedSchema } from './support.ts';

type Outcome =
  | { signal: Record<string, unknown>; absent?: string[] }
  | { noop: { source: string; reason: RegExp } }
  | { error: { source: string; path: string } };

/** Files that are API responses or recordings, not events: no known envelope. */
const notAnEvent: Outcome = { error: { source: 'unknown', path: '' } };

const TABLE: Record<string, Outcome> = {
  // --- Capacity Block docs: underscore spellings are read, but the values are bracketed placeholders.
  'aws/docs-ec2-capacity-block-cr-instance-interruption-warning.json': {
    error: { source: 'aws.ec2 / EC2 Capacity Reservation Instance Interruption Warning', path: 'account' },
  },
  'aws/docs-ec2-capacity-block-delivered.json': {
    error: { source: 'aws.ec2 / Capacity Block Reservation Delivered', path: 'customer_event_id' },
  },
  'aws/docs-ec2-capacity-block-expiration-warning.json': {
    error: { source: 'aws.ec2 / Capacity Block Reservation Expiration Warning', path: 'customer_event_id' },
  },
  'aws/docs-ec2-future-capacity-reservation-scheduled.json': {
    error: { source: 'aws.ec2 / EC2 Capacity Reservation Scheduled', path: 'time' },
  },
  // `resources` as a string is accepted; the account is a placeholder.
  'aws/docs-ec2-interruptible-cr-instance-interruption-warning.json': {
    error: { source: 'aws.ec2 / EC2 Capacity Reservation Instance Interruption Warning', path: 'account' },
  },
  // --- Auto Scaling user-guide samples: `time` is yyyy-mm-ddThh:mm:ssZ.
  'aws/eb-asg-launch-lifecycle-action-docs.json': {
    error: { source: 'aws.autoscaling / EC2 Instance-launch Lifecycle Action', path: 'time' },
  },
  'aws/eb-asg-launch-unsuccessful-docs.json': {
    error: { source: 'aws.autoscaling / EC2 Instance Launch Unsuccessful', path: 'time' },
  },
  'aws/eb-asg-terminate-lifecycle-action-docs.json': {
    error: { source: 'aws.autoscaling / EC2 Instance-terminate Lifecycle Action', path: 'time' },
  },
  'aws/eb-asg-terminate-unsuccessful-docs.json': {
    error: { source: 'aws.autoscaling / EC2 Instance Terminate Unsuccessful', path: 'time' },
  },
  // --- CloudWatch alarms through EventBridge.
  'aws/eb-cloudwatch-alarm-configuration-change-update.json': {
    noop: { source: 'aws.cloudwatch', reason: /ServerCpuTooHigh configuration update/ },
  },
  'aws/eb-cloudwatch-alarm-state-change-anomaly-ALARM.json': {
    // 0.0 was below the lower band edge, so that edge is the threshold crossed.
    signal: {
      type: 'metric-alarm',
      cloud: 'aws',
      alarmName: 'EC2 CPU Utilization Anomaly',
      state: 'ALARM',
      previousState: 'OK',
      alarmKind: 'anomaly-detection',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      value: 0,
      threshold: 0.020599444741798756,
      dimensions: { InstanceId: 'i-12345678901234567' },
    },
  },
  'aws/eb-cloudwatch-alarm-state-change-composite-ALARM.json': {
    signal: {
      type: 'metric-alarm',
      alarmName: 'ServiceAggregatedAlarm',
      state: 'ALARM',
      previousState: 'OK',
      alarmKind: 'composite',
      dimensions: {},
      eventId: 'd3dfc86d-384d-24c8-0345-9f7986db0b80',
      time: '2022-07-22T15:57:45.000Z',
    },
  },
  'aws/eb-cloudwatch-alarm-state-change-metric-ALARM.json': {
    signal: {
      type: 'metric-alarm',
      alarmName: 'ServerCpuTooHigh',
      state: 'ALARM',
      previousState: 'OK',
      alarmKind: 'metric',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      value: 99.50160229693434,
      threshold: 50,
      dimensions: { InstanceId: 'i-12345678901234567' },
    },
  },
  'aws/eb-cloudwatch-alarm-state-change-metric-math-ALARM.json': {
    // The returned expression's label names the metric; both inputs share InstanceId.
    signal: {
      type: 'metric-alarm',
      alarmName: 'TotalNetworkTrafficTooHigh',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      alarmKind: 'metric-math',
      namespace: 'AWS/EC2',
      metricName: 'Total Network Traffic',
      value: 45628,
      threshold: 10000,
      dimensions: { InstanceId: 'i-12345678901234567' },
    },
  },
  // --- EC2.
  'aws/eb-ec2-fleet-instance-change.json': {
    signal: {
      type: 'capacity-notice',
      source: 'aws.ec2fleet',
      kind: 'fleet-change',
      instanceIds: ['i-0c594155dd5ff1829'],
      detail: 'launched: c5.large in us-east-1d',
    },
  },
  'aws/eb-ec2-state-change-pending-docs-no-version.json': {
    signal: {
      type: 'capacity-notice',
      kind: 'state-change',
      instanceIds: ['i-abcd1111'],
      detail: 'pending',
      time: '2021-11-11T21:29:54.000Z',
    },
  },
  'aws/eb-rebalance-recommendation-docs-placeholders.json': {
    error: { source: 'aws.ec2 / EC2 Instance Rebalance Recommendation', path: 'time' },
  },
  'aws/eb-spot-interruption-warning-docs-placeholders.json': {
    error: { source: 'aws.ec2 / EC2 Spot Instance Interruption Warning', path: 'time' },
  },
  'aws/nth-ec2-state-change-pending.json': {
    signal: { type: 'capacity-notice', kind: 'state-change', instanceIds: ['i-abcd1111'], detail: 'pending' },
  },
  'aws/nth-rebalance-recommendation.json': {
    signal: {
      type: 'interruption',
      cloud: 'aws',
      kind: 'rebalance',
      instanceIds: ['i-0b662ef9931388ba0'],
      region: 'us-east-1',
      eventId: '5d5555d5-dd55-5555-5555-5555dd55d55d',
    },
  },
  'aws/nth-spot-interruption-warning.json': {
    error: { source: 'aws.ec2 / EC2 Spot Instance Interruption Warning', path: 'account' },
  },
  // Powertools' test copy spells `instance_id`; EC2 sends `instance-id`.
  'aws/powertools-py-eventbridge-ec2-state-change-terminated.json': {
    error: { source: 'aws.ec2 / EC2 Instance State-change Notification', path: 'detail.instance-id' },
  },
  // The bare IMDS document does not say which instance it is about: a forwarder must add it.
  'aws/imds-spot-instance-action-stop.json': {
    error: { source: 'aws.ec2 / IMDS spot instance-action', path: 'instance-id' },
  },
  'aws/imds-spot-instance-action-terminate.json': {
    error: { source: 'aws.ec2 / IMDS spot instance-action', path: 'instance-id' },
  },
  // --- AWS Health.
  'aws/eb-health-odcr-underutilization-notification.json': {
    signal: {
      type: 'reservation-change',
      kind: 'underutilized',
      reservationType: 'odcr',
      reservationIds: ['cr-01234567890abcdef'],
      region: 'ap-south-1',
      startTime: '2023-03-10T12:03:38.000Z',
    },
  },
  'aws/eb-health-odcr-underutilization-summary.json': {
    // Two reservations in different zones: no single zone; both at 0.0%.
    signal: {
      type: 'reservation-change',
      kind: 'underutilized',
      reservationIds: ['cr-01234567890abcdef', 'cr-09876543210fedcba'],
      instanceType: 't3.medium',
      utilization: 0,
    },
  },
  'aws/health-tools-ec2-instance-store-degraded.json': {
    noop: { source: 'aws.health', reason: /issue AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED/ },
  },
  'aws/health-tools-ec2-test-event.json': { noop: { source: 'aws.health', reason: /AWS_EC2_HEALTH_TEST_EVENT/ } },
  'aws/nth-health-scheduled-change-ec2.json': { error: { source: 'aws.health / AWS Health Event', path: 'account' } },
  // --- Scheduled rule: "MyScheduledRule" names a schedule tick by the naming convention.
  'aws/eb-scheduled-event-docs.json': {
    signal: {
      type: 'tick',
      source: 'aws.events',
      purpose: 'schedule',
      eventId: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
    },
  },
  // --- Auto Scaling (aws-lambda-go and NTH test data).
  'aws/lambda-go-autoscaling-event-launch-successful.json': {
    signal: {
      type: 'capacity-notice',
      source: 'aws.autoscaling',
      kind: 'launch-successful',
      instanceIds: ['i-1234567890abcdef0'],
    },
  },
  'aws/lambda-go-autoscaling-event-lifecycle-action.json': {
    signal: {
      type: 'capacity-notice',
      kind: 'launch-lifecycle',
      instanceIds: ['i-1234567890abcdef0'],
      lifecycleAction: {
        autoScalingGroupName: 'my-asg',
        hookName: 'my-lifecycle-hook',
        token: '87654321-4321-4321-4321-210987654321',
        transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      },
    },
  },
  'aws/lambda-go-autoscaling-event-terminate-action.json': {
    signal: { type: 'capacity-notice', kind: 'terminate-lifecycle', instanceIds: ['i-1234567890abcdef0'] },
  },
  'aws/lambda-go-autoscaling-event-terminate-successful.json': {
    signal: { type: 'capacity-notice', kind: 'terminate-successful', instanceIds: ['i-1234567890abcdef0'] },
  },
  'aws/lambda-go-autoscaling-event-terminate-unsuccessful.json': {
    signal: {
      type: 'capacity-notice',
      kind: 'terminate-unsuccessful',
      detail: 'my-auto-scaling-group: Failed: message-text',
    },
  },
  'aws/nth-asg-terminate-lifecycle-action.json': {
    signal: {
      type: 'capacity-notice',
      kind: 'terminate-lifecycle',
      instanceIds: ['i-0633ac2b0d9769723'],
      lifecycleAction: {
        autoScalingGroupName: 'testt1.demo-0a20f32c.kops.sh',
        hookName: 'cluster-termination-handler',
      },
    },
  },
  // --- CloudWatch alarms through SNS and as a Lambda action.
  'aws/lambda-go-cloudwatch-alarm-sns-payload-multiple-metrics.json': {
    // The value comes from the reason text ("datapoints [1234.0 ...]"); the SNS message id is the event id.
    signal: {
      type: 'metric-alarm',
      eventId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
      alarmName: 'EXAMPLE',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      alarmKind: 'metric-math',
      namespace: 'AWS/EC2',
      metricName: 'Expression1',
      value: 1234,
      threshold: 0,
      comparison: 'GreaterThanThreshold',
      dimensions: { InstanceId: 'TestInstance' },
    },
  },
  'aws/lambda-go-cloudwatch-alarm-sns-payload-single-metric.json': {
    signal: {
      type: 'metric-alarm',
      alarmName: 'EXAMPLE',
      state: 'ALARM',
      alarmKind: 'metric',
      namespace: 'AWS/EC2',
      metricName: 'NetworkOut',
      value: 1234,
      threshold: 0,
      dimensions: { InstanceId: 'TestInstance' },
      time: '2015-06-03T17:43:27.123Z',
    },
  },
  'aws/powertools-py-cloudwatch-alarm-lambda-action-composite.json': {
    // alarmArn and alarmName differ in this sample: the name is the alarm's, the ARN makes the event id.
    signal: {
      type: 'metric-alarm',
      alarmName: 'CompositeDemo.Main',
      state: 'ALARM',
      previousState: 'ALARM',
      alarmKind: 'composite',
      eventId: 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:SuppressionDemo.Main@2023-08-04T12:56:46.138Z',
    },
  },
  'aws/powertools-py-cloudwatch-alarm-lambda-action-metric.json': {
    signal: {
      type: 'metric-alarm',
      alarmName: 'Test alert',
      state: 'ALARM',
      previousState: 'OK',
      alarmKind: 'metric-math',
      namespace: 'AWS/Lambda',
      metricName: 'Expression1',
      value: 1,
      threshold: 10,
      dimensions: {},
      time: '2024-02-17T11:53:08.431Z',
    },
  },

  // --- Azure: ARM examples and recordings are API traffic, not events.
  'azure/arm-recording-compute-operation-status-inprogress.json': notAnEvent,
  'azure/arm-recording-compute-operation-status-succeeded.json': notAnEvent,
  'azure/arm-recording-vm-patch-404-PatchResourceNotFound.json': notAnEvent,
  'azure/arm-recording-vm-put-201-azure-asyncoperation.json': notAnEvent,
  'azure/arm-vmss-get-example-withuserdata.json': notAnEvent,
  'azure/arm-vmss-update-example-minimumset.json': notAnEvent,
  'azure/eventgrid-maintenance-scheduledevents-write-reboot-started.json': {
    // Started: NotBefore is blank, so the deadline is the Event Grid event time.
    signal: {
      type: 'interruption',
      cloud: 'azure',
      source: 'azure.scheduledevents',
      kind: 'maintenance',
      action: 'reboot',
      instanceIds: ['eastus2euap_1'],
      eventId: 'a9e57b41-fca6-4668-a2d2-0a5a4d6b6996',
      deadline: '2023-08-28T20:02:29.664Z',
      region: 'eastus2euap',
      zone: 'eastus2euap-az01',
    },
  },
  'azure/imds-scheduledevents-doc1-empty.json': {
    noop: { source: 'azure.scheduledevents', reason: /no scheduled events/ },
  },
  'azure/imds-scheduledevents-doc2-freeze-scheduled.json': {
    noop: { source: 'azure.scheduledevents', reason: /Freeze/ },
  },
  'azure/imds-scheduledevents-doc3-freeze-started.json': {
    noop: { source: 'azure.scheduledevents', reason: /Freeze/ },
  },
  'azure/imds-scheduledevents-doc4-empty-after-completion.json': {
    noop: { source: 'azure.scheduledevents', reason: /no scheduled events/ },
  },
  'azure/imds-scheduledevents-preempt-spot-simulate-eviction.json': {
    signal: {
      type: 'interruption',
      cloud: 'azure',
      kind: 'preempt',
      instanceIds: ['vm-spot'],
      deadline: '2022-08-09T17:07:32.000Z',
      eventId: 'C1BF8322-4CBF-4FC4-9C45-B40CF3106D0E',
    },
  },
  'azure/imds-scheduledevents-reboot-user-scheduled.json': {
    signal: {
      type: 'interruption',
      cloud: 'azure',
      kind: 'maintenance',
      action: 'reboot',
      instanceIds: ['flatcar-vm1'],
      deadline: '2021-07-22T04:50:17.000Z',
    },
  },
  // A fragment (alertContext only): recognised as Azure Monitor, but the envelope is missing.
  'azure/monitor-common-alert-schema-alertcontext-dynamic-threshold.json': {
    error: { source: 'azure.monitor / common alert schema', path: 'schemaId' },
  },
  'azure/monitor-common-alert-schema-metric-resolved.json': {
    error: { source: 'azure.monitor / common alert schema', path: 'data.essentials.alertId' },
  },
  'azure/monitor-common-alert-schema-test-action-metric-fired.json': {
    signal: {
      type: 'metric-alarm',
      cloud: 'azure',
      alarmName: 'test-metricAlertRule',
      state: 'ALARM',
      alarmKind: 'anomaly-detection',
      namespace: 'Microsoft.Storage/storageAccounts',
      metricName: 'Transactions',
      value: 78.09,
      threshold: 0.3,
      comparison: 'GreaterThan',
      dimensions: {},
    },
  },

  // --- GCP.
  'gcp/auditlog-compute-instances-preempted-logentry.json': {
    // Deadline: the entry's timestamp plus the 30-second preemption grace period.
    signal: {
      type: 'interruption',
      cloud: 'gcp',
      kind: 'preempt',
      instanceIds: ['mock-instance-spot-3706-5b909138-nr65'],
      time: '2023-09-16T10:42:31.325Z',
      deadline: '2023-09-16T10:43:01.325Z',
      zone: 'europe-west1-c',
      region: 'europe-west1',
      eventId: 'qnwer3e38dfz',
    },
  },
  'gcp/auditlog-logentrydata-pubsub-createtopic.json': {
    noop: { source: 'gcp.logging', reason: /google\.pubsub\.v1\.Publisher\.CreateTopic/ },
  },
  'gcp/auditlog-preempted-minimal-test.json': {
    error: { source: 'gcp.logging / compute.instances.preempted', path: 'timestamp' },
  },
  'gcp/cloudevent-structured-audit-log-written.json': {
    noop: { source: 'gcp.logging', reason: /jobservice\.jobcompleted/ },
  },
  // The Pub/Sub message is the text "test message 3", not JSON.
  'gcp/cloudevent-structured-pubsub-message-published.json': {
    error: { source: 'gcp.pubsub', path: 'data.message.data' },
  },
  'gcp/compute-igm-get-targetsize4-template.json': notAnEvent,
  'gcp/compute-igm-listmanagedinstances-template-dupkey.json': notAnEvent,
  'gcp/compute-operation-igm-createinstances-done-error-412.json': notAnEvent,
  'gcp/compute-zonal-operation-igm-createinstances-done-no-endtime.json': notAnEvent,
  'gcp/compute-zonal-operation-igm-deleteinstances-done.json': notAnEvent,
  'gcp/compute-zonal-operation-igm-resize-done.json': notAnEvent,
  'gcp/container-operation-create-nodepool-running.json': notAnEvent,
  'gcp/monitoring-incident-pubsub-v1.2-closed.json': {
    // Closed: OK after ALARM; observed_value is a sentence here, so there is no value.
    signal: {
      type: 'metric-alarm',
      cloud: 'gcp',
      alarmName: 'Test-incident-canary',
      state: 'OK',
      previousState: 'ALARM',
      threshold: 2000,
      eventId: '0.nrwo9fe1a4wg/closed',
      time: '2025-05-02T09:39:07.000Z',
    },
    absent: ['value'],
  },
  'gcp/monitoring-incident-pubsub-v1.2-open.json': {
    signal: {
      type: 'metric-alarm',
      cloud: 'gcp',
      alarmName: 'Test-incident-canary',
      state: 'ALARM',
      alarmKind: 'metric',
      metricName: 'compute.googleapis.com/instance/network/sent_packets_count',
      value: 7679,
      threshold: 2001,
      comparison: 'COMPARISON_GT',
      eventId: '0.nrwotmyokd9n/open',
      dimensions: { instance_name: 'gke-hub-cluster-private-pool-containe-de26c8a2-0se1', zone: 'europe-west1-b' },
    },
  },
};

const corpusFiles = (): string[] =>
  HAS_CORPUS
    ? CORPUS_CLOUDS.flatMap((cloud) =>
        readdirSync(path.join(CORPUS_DIR, cloud))
          .filter((f) => f.endsWith('.json'))
          .map((f) => `${cloud}/${f}`),
      ).sort()
    : [];

describe.skipIf(!HAS_CORPUS)(`corpus conformance (skipped: no corpus at ${CORPUS_DIR})`, () => {
  const files = corpusFiles();

  it('lists every corpus file, and only those', () => {
    const missing = files.filter((f) => !(f in TABLE));
    expect(missing, `add these corpus files to the conformance table with their expected outcome`).toEqual([]);
    expect(
      Object.keys(TABLE).filter((f) => !files.includes(f)),
      'table entries without a corpus file',
    ).toEqual([]);
  });

  it.each(files)('%s', (file) => {
    const expected = TABLE[file];
    if (!expected) throw new Error(`${file} is not in the conformance table: add its expected outcome`);
    const raw: unknown = JSON.parse(readFileSync(path.join(CORPUS_DIR, file), 'utf8'));
    const r = safeNormalize(raw);
    if ('error' in expected) {
      expect(r.success, r.success ? JSON.stringify(r.value) : '').toBe(false);
      if (r.success) return;
      expect({ source: r.error.source, path: r.error.path }).toEqual(expected.error);
      expect(r.error.message).not.toMatch(/\n/);
      return;
    }
    if (!r.success) throw r.error;
    expect(NormalizedSchema.safeParse(r.value).error).toBeUndefined();
    if ('noop' in expected) {
      expect(r.value.type).toBe('no-op');
      expect(r.value.source).toBe(expected.noop.source);
      if (r.value.type === 'no-op') expect(r.value.reason).toMatch(expected.noop.reason);
    } else {
      expect(r.value).toMatchObject(expected.signal);
      for (const field of expected.absent ?? []) expect(r.value).not.toHaveProperty(field);
    }
  });
});
