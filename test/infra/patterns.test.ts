/**
 * The rules' event patterns against real payloads: every captured AWS event in ../shared/corpus reaches
 * exactly the function it should (or none), forwarded Azure and GCP notices reach theirs, and every
 * (source, detail-type) a rule lets through has a parser in events/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeEvent } from '../../events/index.ts';
import { findEventBridgeDecoder } from '../../events/registry.ts';
import { FORWARDED, forwardedKind } from '../../shared/domain/forwarded.ts';
import { loadSample } from '../../events/samples.ts';
import { parseConfig } from '../../shared/config/load.ts';
import type { FunctionKey } from '../../stacks/function-specs.ts';
import { type EventPattern, eventRules } from '../../stacks/patterns.ts';
import * as P from '../../local/sim/autoscaler-events.ts';
import { INFRA_CONFIG } from './support/config.ts';
import { asDelivered, matchesPattern } from './support/event-pattern.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const CORPUS = path.resolve(REPO_ROOT, '..', 'shared', 'corpus');
const HAS_CORPUS = existsSync(path.join(CORPUS, 'aws'));

const withAlarms = parseConfig(INFRA_CONFIG);
// Without `alarms`, every alarm state change is routed (the corpus alarms have their own names).
const anyAlarm = parseConfig({ ...INFRA_CONFIG, alarms: [] });

function targets(config = anyAlarm, event: Record<string, unknown>, bus: 'default' | 'autoscaler' = 'default') {
  return eventRules(config)
    .filter((r) => r.bus === bus && matchesPattern(r.pattern, event))
    .map((r) => r.target);
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Each AWS corpus file that is an EventBridge event, and the function it must reach (undefined: none). */
const AWS_ROUTES: Record<string, FunctionKey | undefined> = {
  'docs-ec2-capacity-block-cr-instance-interruption-warning.json': 'capacity-reservation',
  'docs-ec2-capacity-block-delivered.json': 'capacity-reservation',
  'docs-ec2-capacity-block-expiration-warning.json': 'capacity-reservation',
  'docs-ec2-future-capacity-reservation-scheduled.json': 'capacity-reservation',
  'docs-ec2-interruptible-cr-instance-interruption-warning.json': 'capacity-reservation',
  'eb-asg-launch-lifecycle-action-docs.json': undefined,
  // A failed launch: a decision at once (the offering backed off, its share placed elsewhere).
  'eb-asg-launch-unsuccessful-docs.json': 'spot-interruption',
  'eb-asg-terminate-lifecycle-action-docs.json': undefined,
  'eb-asg-terminate-unsuccessful-docs.json': undefined,
  'eb-cloudwatch-alarm-configuration-change-update.json': undefined,
  'eb-cloudwatch-alarm-state-change-anomaly-ALARM.json': 'alarm',
  'eb-cloudwatch-alarm-state-change-composite-ALARM.json': 'alarm',
  'eb-cloudwatch-alarm-state-change-metric-ALARM.json': 'alarm',
  'eb-cloudwatch-alarm-state-change-metric-math-ALARM.json': 'alarm',
  'eb-ec2-fleet-instance-change.json': undefined,
  'eb-ec2-state-change-pending-docs-no-version.json': undefined,
  'eb-health-odcr-underutilization-notification.json': 'capacity-reservation',
  'eb-health-odcr-underutilization-summary.json': 'capacity-reservation',
  'eb-rebalance-recommendation-docs-placeholders.json': 'spot-interruption',
  // Ticks come from EventBridge Scheduler, not from scheduled rules.
  'eb-scheduled-event-docs.json': undefined,
  'eb-spot-interruption-warning-docs-placeholders.json': 'spot-interruption',
  // An `issue`, not a `scheduledChange`: nothing to move.
  'health-tools-ec2-instance-store-degraded.json': undefined,
  // The Health tools' test event has service `AWS_EC2`, not `EC2`.
  'health-tools-ec2-test-event.json': undefined,
  'lambda-go-autoscaling-event-launch-successful.json': undefined,
  'lambda-go-autoscaling-event-lifecycle-action.json': undefined,
  'lambda-go-autoscaling-event-terminate-action.json': undefined,
  'lambda-go-autoscaling-event-terminate-successful.json': undefined,
  'lambda-go-autoscaling-event-terminate-unsuccessful.json': undefined,
  'nth-asg-terminate-lifecycle-action.json': undefined,
  'nth-ec2-state-change-pending.json': undefined,
  'nth-health-scheduled-change-ec2.json': 'capacity-reservation',
  'nth-rebalance-recommendation.json': 'spot-interruption',
  'nth-spot-interruption-warning.json': 'spot-interruption',
  // A Lambda alarm action is a direct invocation, never on a bus.
  'powertools-py-cloudwatch-alarm-lambda-action-composite.json': undefined,
  'powertools-py-cloudwatch-alarm-lambda-action-metric.json': undefined,
  'powertools-py-eventbridge-ec2-state-change-terminated.json': undefined,
};

describe.skipIf(!HAS_CORPUS)('default-bus rules on the AWS corpus (needs ../shared/corpus)', () => {
  const files = HAS_CORPUS
    ? readdirSync(path.join(CORPUS, 'aws')).filter((f) => {
        const e = readJson(path.join(CORPUS, 'aws', f));
        return 'source' in e && ('detail-type' in e || 'detail_type' in e || 'alarmData' in e);
      })
    : [];

  it('every EventBridge event in the corpus has an expected route in this table', () => {
    expect(files.filter((f) => !Object.hasOwn(AWS_ROUTES, f))).toEqual([]);
  });

  it.each(Object.entries(AWS_ROUTES))('%s -> %s', (file, expected) => {
    const event = asDelivered(readJson(path.join(CORPUS, 'aws', file)));
    expect(targets(anyAlarm, event)).toEqual(expected ? [expected] : []);
  });
});

describe('launch failures reach the spot-interruption function, other launch results and fleet notices none', () => {
  it.each([
    ['aws-autoscaling-result', 'launch-unsuccessful', ['spot-interruption']],
    ['aws-autoscaling-result', 'valid', []],
    ['aws-autoscaling-result', 'terminate-successful', []],
    ['aws-ec2-fleet-notice', 'valid', ['spot-interruption']],
    ['aws-ec2-fleet-notice', 'launch-spec-blacklisted', ['spot-interruption']],
    ['aws-ec2-fleet-notice', 'launch-spec-unusable', ['spot-interruption']],
    ['aws-ec2-fleet-notice', 'count-limit', []],
    ['aws-ec2-fleet-instance-change', 'valid', []],
  ] as const)('%s/%s -> %j', (source, name, expected) => {
    const event = loadSample<Record<string, unknown>>(source, name);
    expect(targets(anyAlarm, event)).toEqual(expected);
    // What a rule lets through is decided on: a launch-unsuccessful notice.
    const signal = normalizeEvent(event);
    expect(signal.type === 'capacity-notice' && signal.kind === 'launch-unsuccessful').toBe(expected.length > 0);
  });
});

describe("the simulation's launch failures are the events the rules deliver", () => {
  const o = { id: '5f0c1e2d-3a4b-4c5d-8e6f-7a8b9c0d1e2f', time: new Date('2026-01-05T16:52:00Z') };
  it.each([
    [
      'Auto Scaling EC2 Instance Launch Unsuccessful',
      P.autoScalingLaunchUnsuccessful(o, {
        name: 'gpu-demo-g5-ondemand',
        instanceType: 'g5.xlarge',
        zone: 'us-east-1b',
        subnetId: 'subnet-0a1b2c3d4e5f67890',
        previous: 2,
        desired: 4,
      }),
      { AutoScalingGroupName: { 'gpu-demo-g5-ondemand': { fleetId: 'llm-demo', poolId: 'aws-g5-ondemand' } } },
      'aws-g5-ondemand',
    ],
    [
      'EC2 Fleet Error',
      P.ec2FleetLaunchSpecsBlacklisted(o, {
        fleetId: 'fleet-6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b',
        instanceType: 'g5.xlarge',
        zones: ['us-east-1a', 'us-east-1b'],
        spot: true,
      }),
      { FleetId: { 'fleet-6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b': { fleetId: 'llm-demo', poolId: 'aws-g5-spot' } } },
      'aws-g5-spot',
    ],
  ] as const)('%s', (_, event, dimensions, poolId) => {
    expect(targets(anyAlarm, asDelivered(event as unknown as Record<string, unknown>))).toEqual(['spot-interruption']);
    expect(normalizeEvent(event, { dimensions })).toMatchObject({
      type: 'capacity-notice',
      kind: 'launch-unsuccessful',
      poolId,
    });
  });
});

describe('alarm rule filters on the configured alarm names', () => {
  const alarm = (alarmName: string) => ({
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    detail: { alarmName, state: { value: 'ALARM' } },
  });
  it.each([
    ['an exact name', 'chat-queue-depth-high', ['alarm']],
    ['a name under a prefix (`chat-gpu-*`)', 'chat-gpu-utilization-high', ['alarm']],
    ['an exact name is not a prefix', 'chat-queue-depth-high-2', []],
    ['an unrelated alarm', 'billing-estimate', []],
  ])('%s', (_, name, expected) => {
    expect(targets(withAlarms, alarm(name))).toEqual(expected);
  });
});

describe.skipIf(!HAS_CORPUS)('forwarded Azure and GCP notices on the autoscaler bus (needs ../shared/corpus)', () => {
  const envelope = (kind: keyof typeof FORWARDED, detail: unknown) => ({
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    source: FORWARDED[kind].source,
    'detail-type': FORWARDED[kind].detailType,
    account: '123456789012',
    time: '2025-03-04T10:15:02Z',
    region: 'us-east-1',
    resources: [],
    detail,
  });
  const corpus = (file: string) => {
    const v = JSON.parse(readFileSync(path.join(CORPUS, file), 'utf8'));
    return Array.isArray(v) ? v[0] : v;
  };
  it.each([
    ['azureScheduledEvents', 'azure/imds-scheduledevents-preempt-spot-simulate-eviction.json', 'spot-interruption'],
    ['azureEventGrid', 'azure/eventgrid-maintenance-scheduledevents-write-reboot-started.json', 'spot-interruption'],
    ['azureMonitor', 'azure/monitor-common-alert-schema-test-action-metric-fired.json', 'alarm'],
    ['gcpPreemption', 'gcp/auditlog-compute-instances-preempted-logentry.json', 'spot-interruption'],
    ['gcpMonitoring', 'gcp/monitoring-incident-pubsub-v1.2-open.json', 'alarm'],
  ] as const)('%s (%s) -> %s', (kind, file, expected) => {
    const event = envelope(kind, corpus(file));
    expect(targets(anyAlarm, event, 'autoscaler')).toEqual([expected]);
    // AWS events never arrive on the autoscaler bus, and forwarded ones never on the default bus.
    expect(targets(anyAlarm, event, 'default')).toEqual([]);
  });

  it('the decision events the functions publish reach no function', () => {
    const decision = { source: anyAlarm.events.source, 'detail-type': 'Scaling Decision', detail: {} };
    expect(targets(anyAlarm, decision, 'autoscaler')).toEqual([]);
  });
});

describe('every event a rule lets through has a parser in events/', () => {
  const pairs = eventRules(anyAlarm).flatMap((r) => {
    const p = r.pattern as { source: string[]; 'detail-type': string[] };
    return p.source.flatMap((s) =>
      p['detail-type'].map((dt) => ({ rule: r.id, bus: r.bus, source: s, detailType: dt })),
    );
  });
  // A forwarded rule's pattern is a cross product of its sources and detail-types; only the pairs of the
  // contract (FORWARDED) are real.
  const contract = new Set(Object.values(FORWARDED).map((f) => `${f.source}\u0000${f.detailType}`));
  const real = pairs.filter((p) => p.bus === 'default' || contract.has(`${p.source}\u0000${p.detailType}`));

  it.each(real.filter((p) => p.bus === 'default'))('$source / $detailType ($rule)', ({ source, detailType }) => {
    expect(findEventBridgeDecoder(source, detailType)).toBeDefined();
  });

  // Forwarded events carry a cloud's own payload as `detail`: the router opens it (events/forwarded.ts),
  // or a registry decoder reads the envelope itself (the Azure Scheduled Events document).
  const forwarded = real.filter((p) => p.bus === 'autoscaler');
  const SAMPLE: Record<string, [string, string]> = {
    [FORWARDED.azureEventGrid.source]: ['azure-event-grid', 'valid'],
    [FORWARDED.azureMonitor.source]: ['azure-monitor-alert', 'valid'],
    [FORWARDED.gcpPreemption.source]: ['gcp-preemption-logentry', 'valid'],
    [FORWARDED.gcpMonitoring.source]: ['gcp-monitoring-incident', 'valid'],
  };

  it.each(forwarded)('forwarded $source / $detailType ($rule) is decoded', ({ source, detailType }) => {
    if (findEventBridgeDecoder(source, detailType)) return;
    expect(forwardedKind(source, detailType)).toBeDefined();
    const [folder, name] = SAMPLE[source]!;
    const payload = loadSample(folder, name);
    const direct = normalizeEvent(payload);
    const envelope = {
      version: '0',
      id: '5f0c1e2d-3a4b-4c5d-8e6f-7a8b9c0d1e2f',
      'detail-type': detailType,
      source,
      account: '123456789012',
      time: '2025-03-04T10:15:00Z',
      region: 'us-east-1',
      resources: [],
      detail: Array.isArray(payload) ? payload[0] : payload,
    };
    const viaBus = normalizeEvent(envelope);
    expect(viaBus.type).not.toBe('no-op');
    expect(viaBus.type).toBe(Array.isArray(payload) ? viaBus.type : direct.type);
  });
});

describe('pattern shapes', () => {
  it('every rule names its sources and detail-types explicitly', () => {
    for (const r of eventRules(withAlarms)) {
      const p = r.pattern as Record<string, EventPattern>;
      expect(Array.isArray(p.source) && p.source.length > 0, r.id).toBe(true);
      expect(Array.isArray(p['detail-type']) && p['detail-type'].length > 0, r.id).toBe(true);
    }
  });

  it('AWS sources are only on the default bus, forwarded sources only on the autoscaler bus', () => {
    for (const r of eventRules(withAlarms)) {
      const sources = (r.pattern as { source: string[] }).source;
      for (const s of sources) expect(s.startsWith('aws.') ? 'default' : 'autoscaler', `${r.id} ${s}`).toBe(r.bus);
    }
  });
});
