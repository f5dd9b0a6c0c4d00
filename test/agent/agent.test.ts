/**
 * The node agent against emulated metadata services that speak each cloud's protocol (IMDSv2 sessions,
 * Azure's Metadata header and StartRequests, GCE's Metadata-Flavor and wait_for_change), putting its notices
 * with the real EventBridge client on the AWS emulator; every event it puts is then parsed by the functions'
 * own normalizer.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentLogger, NodeAgent } from '../../agent/agent.ts';
import { AgentConfigError, loadAgentConfig } from '../../agent/config.ts';
import { AwsImdsMonitor } from '../../agent/monitors/aws.ts';
import { AzureScheduledEventsMonitor } from '../../agent/monitors/azure.ts';
import { GceMetadataMonitor } from '../../agent/monitors/gcp.ts';
import { type DrainState, staysOnDrainedNode } from '../../agent/node.ts';
import type { Monitor } from '../../agent/notice.ts';
import { BusPublisher } from '../../agent/publisher.ts';
import { normalizeEvent } from '../../events/index.ts';
import { startAwsEmulator } from '../../local/emulators/aws/index.ts';
import { startAwsImds } from '../../local/emulators/metadata/aws-imds.ts';
import { startAzureImds } from '../../local/emulators/metadata/azure-imds.ts';
import { startGceMetadata } from '../../local/emulators/metadata/gce-metadata.ts';
import { World } from '../../local/emulators/world.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const quiet: AgentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const BUS = 'gpu-autoscaler-test';

class FakeDrain implements DrainState {
  value = false;
  calls = 0;
  async drained() {
    this.calls += 1;
    return this.value;
  }
}

async function bus() {
  const world = new World({ start: Date.parse('2025-03-04T10:15:00Z') });
  const emulator = await startAwsEmulator(world);
  const client = new EventBridgeClient({
    region: 'us-east-1',
    endpoint: emulator.endpoints.events,
    credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' },
    maxAttempts: 1,
  });
  cleanups.push(
    () => emulator.close(),
    () => client.destroy(),
  );
  return { emulator, publisher: new BusPublisher({ client, busName: BUS }) };
}

function agentWith(monitor: Monitor, publisher: BusPublisher, drain: DrainState = new FakeDrain()) {
  return new NodeAgent({ monitor, publisher, drain, logger: quiet, intervalMs: 500 });
}

describe('AWS IMDSv2', () => {
  async function setup() {
    const imds = await startAwsImds({ instanceId: 'i-0a1b2c3d4e5f60718', region: 'us-east-1', zone: 'us-east-1a' });
    cleanups.push(() => imds.close());
    const { emulator, publisher } = await bus();
    const agent = agentWith(new AwsImdsMonitor({ endpoint: imds.endpoint, node: 'ip-10-0-1-23' }), publisher);
    return { imds, emulator, agent };
  }

  it('puts nothing while spot/instance-action is 404, then the notice once, as the functions parse it', async () => {
    const { imds, emulator, agent } = await setup();
    expect((await agent.tick()).sent).toEqual([]);
    imds.setSpotAction({ action: 'terminate', time: '2025-03-04T10:17:00Z' });
    expect((await agent.tick()).sent).toHaveLength(1);
    expect((await agent.tick()).sent).toHaveLength(0); // seen again: not put again
    expect(emulator.events.received).toHaveLength(1);
    const event = emulator.events.received[0]!;
    expect(event).toMatchObject({ source: 'autoscaler.aws.imds', eventBusName: BUS });
    expect(normalizeEvent(event)).toMatchObject({
      type: 'interruption',
      kind: 'warning',
      cloud: 'aws',
      eventId: 'imds-spot:i-0a1b2c3d4e5f60718@2025-03-04T10:17:00.000Z',
      instanceIds: ['i-0a1b2c3d4e5f60718'],
      zone: 'us-east-1a',
      deadline: '2025-03-04T10:17:00.000Z',
    });
    // Every read carried a session token: one PUT, and no 401.
    expect(imds.log.filter((l) => l.startsWith('PUT'))).toEqual(['PUT /latest/api/token 200']);
    expect(imds.log.some((l) => l.endsWith(' 401'))).toBe(false);
  });

  it('puts the rebalance recommendation', async () => {
    const { imds, emulator, agent } = await setup();
    imds.setRebalance({ noticeTime: '2025-03-04T10:05:00Z' });
    await agent.tick();
    expect(normalizeEvent(emulator.events.received[0])).toMatchObject({ kind: 'rebalance', region: 'us-east-1' });
  });

  it('asks for a new session token when IMDS says the old one expired (401)', async () => {
    const { imds, agent } = await setup();
    await agent.tick();
    imds.expireTokens();
    imds.setSpotAction({ action: 'stop', time: '2025-03-04T10:17:00Z' });
    const r = await agent.tick();
    expect(r.errors).toEqual([]);
    expect(r.sent).toHaveLength(1);
    expect(imds.log.filter((l) => l.startsWith('PUT'))).toHaveLength(2);
  });

  it('IMDS refuses a read without a token, and a proxied token request', async () => {
    const { imds } = await setup();
    expect((await fetch(`${imds.endpoint}/latest/meta-data/instance-id`)).status).toBe(401);
    const proxied = await fetch(`${imds.endpoint}/latest/api/token`, {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60', 'X-Forwarded-For': '10.0.0.1' },
    });
    expect(proxied.status).toBe(403);
  });
});

describe('Azure Scheduled Events', () => {
  const VM = {
    name: 'chat-nc24-spot_3',
    vmScaleSetName: 'chat-nc24-spot',
    resourceGroupName: 'gpu-fleet',
    subscriptionId: '7d3e1a9b-2c4f-4e6a-8b0d-1f3a5c7e9b2d',
    location: 'eastus',
    zone: '2',
  };
  async function setup() {
    const imds = await startAzureImds(VM);
    cleanups.push(() => imds.close());
    const { emulator, publisher } = await bus();
    const drain = new FakeDrain();
    const agent = agentWith(new AzureScheduledEventsMonitor({ endpoint: imds.endpoint }), publisher, drain);
    return { imds, emulator, agent, drain };
  }
  const preempt = {
    EventId: '5E2F7A10-3C4B-4D6E-9F81-2A3B4C5D6E7F',
    EventType: 'Preempt' as const,
    Resources: ['chat-nc24-spot_3'],
    NotBefore: 'Tue, 04 Mar 2025 10:15:30 GMT',
  };

  it('puts a new incarnation with the VM metadata, which maps to the scale set', async () => {
    const { imds, emulator, agent } = await setup();
    expect((await agent.tick()).sent).toEqual([]); // no events
    imds.setEvents([preempt]);
    await agent.tick();
    await agent.tick();
    expect(emulator.events.received).toHaveLength(1);
    const event = emulator.events.received[0]!;
    expect(event.detail).toMatchObject({ vmScaleSetName: 'chat-nc24-spot', location: 'eastus', zone: '2' });
    const signal = normalizeEvent(event, {
      dimensions: { VMScaleSetName: { 'chat-nc24-spot': { fleetId: 'chat', poolId: 'az' } } },
    });
    expect(signal).toMatchObject({
      type: 'interruption',
      kind: 'preempt',
      eventId: preempt.EventId,
      fleetId: 'chat',
      poolId: 'az',
      deadline: '2025-03-04T10:15:30.000Z',
    });
  });

  it('approves its own events with StartRequests only once the node is drained', async () => {
    const { imds, agent, drain } = await setup();
    imds.setEvents([
      preempt,
      // Another VM's event, and a Freeze: never approved by this agent.
      { ...preempt, EventId: 'A1B2C3D4-0000-4000-8000-000000000001', Resources: ['chat-nc24-spot_5'] },
      { ...preempt, EventId: 'A1B2C3D4-0000-4000-8000-000000000002', EventType: 'Freeze' },
    ]);
    expect((await agent.tick()).acknowledged).toEqual([]);
    expect(imds.approvals).toEqual([]);
    drain.value = true;
    expect((await agent.tick()).acknowledged).toEqual([preempt.EventId]);
    expect(imds.approvals).toEqual([[preempt.EventId]]);
    // Approved: the event is Started; nothing more to approve, and the new incarnation goes on the bus.
    const r = await agent.tick();
    expect(r.acknowledged).toEqual([]);
    expect(r.sent).toHaveLength(1);
  });

  it('IMDS refuses a request without Metadata: true, or without api-version', async () => {
    const { imds } = await setup();
    const noHeader = await fetch(`${imds.endpoint}/metadata/scheduledevents?api-version=2020-07-01`);
    expect(noHeader.status).toBe(400);
    const noVersion = await fetch(`${imds.endpoint}/metadata/scheduledevents`, { headers: { Metadata: 'true' } });
    expect(noVersion.status).toBe(400);
  });
});

describe('GCE metadata server', () => {
  async function setup() {
    const md = await startGceMetadata({
      id: '4519212781923094417',
      name: 'chat-l4-spot-7x2k',
      zone: 'us-central1-a',
      project: 'gpu-fleet',
      projectNumber: '123456789012',
    });
    cleanups.push(() => md.close());
    const { emulator, publisher } = await bus();
    const agent = agentWith(new GceMetadataMonitor({ endpoint: md.endpoint, waitSeconds: 5 }), publisher);
    return { md, emulator, agent };
  }

  it('waits for a change and puts the preemption as soon as it is set', async () => {
    const { md, emulator, agent } = await setup();
    expect((await agent.tick()).sent).toEqual([]); // first read: FALSE / NONE, at once
    const started = Date.now();
    const waiting = agent.tick();
    await expect.poll(() => md.waiting).toBe(2);
    md.set('instance/preempted', 'TRUE');
    const r = await waiting;
    // Well under the 5 s wait: the change ended both waits.
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(r.sent).toHaveLength(1);
    expect(md.waiting).toBe(0);
    expect(normalizeEvent(emulator.events.received[0])).toMatchObject({
      type: 'interruption',
      kind: 'preempt',
      cloud: 'gcp',
      instanceIds: ['chat-l4-spot-7x2k'],
      zone: 'us-central1-a',
      region: 'us-central1',
    });
  });

  it('puts TERMINATE_ON_HOST_MAINTENANCE as a maintenance interruption', async () => {
    const { md, emulator, agent } = await setup();
    md.set('instance/maintenance-event', 'TERMINATE_ON_HOST_MAINTENANCE');
    await agent.tick();
    expect(normalizeEvent(emulator.events.received[0])).toMatchObject({ kind: 'maintenance', action: 'terminate' });
  });

  it('the server refuses a request without Metadata-Flavor: Google', async () => {
    const { md } = await setup();
    expect((await fetch(`${md.endpoint}/computeMetadata/v1/instance/preempted`)).status).toBe(403);
  });
});

describe('delivery', () => {
  it('a notice the bus refused is put again on the next poll', async () => {
    const imds = await startAwsImds({ instanceId: 'i-0a1b2c3d4e5f60718', region: 'us-east-1', zone: 'us-east-1a' });
    cleanups.push(() => imds.close());
    const { emulator, publisher } = await bus();
    let refuse = true;
    const flaky = {
      publish: async (n: Parameters<BusPublisher['publish']>[0]) =>
        refuse
          ? { sent: [], failed: n.map((notice) => ({ notice, error: 'ThrottlingException' })), invalid: [] }
          : publisher.publish(n),
    };
    const agent = new NodeAgent({
      monitor: new AwsImdsMonitor({ endpoint: imds.endpoint }),
      publisher: flaky,
      drain: new FakeDrain(),
      logger: quiet,
    });
    imds.setSpotAction({ action: 'terminate', time: '2025-03-04T10:17:00Z' });
    expect((await agent.tick()).failed).toBe(1);
    refuse = false;
    expect((await agent.tick()).sent).toHaveLength(1);
    expect(emulator.events.received).toHaveLength(1);
  });

  it('a notice the functions would refuse is never sent', async () => {
    const { emulator, publisher } = await bus();
    const r = await publisher.publish([
      {
        key: 'x',
        source: 'autoscaler.aws.imds',
        detailType: 'EC2 Spot Instance Action',
        detail: { action: 'terminate' },
      },
    ]);
    expect(r.invalid).toHaveLength(1);
    expect(r.invalid[0]!.error).toMatch(/time/);
    expect(emulator.events.received).toEqual([]);
  });
});

describe('settings and drain', () => {
  it.each([
    ['no cloud', {}, /AGENT_CLOUD/],
    ['no bus', { AGENT_CLOUD: 'aws', AWS_REGION: 'us-east-1' }, /EVENT_BUS_NAME/],
    [
      'interval too slow',
      { AGENT_CLOUD: 'gcp', EVENT_BUS_NAME: 'b', AWS_REGION: 'us-east-1', POLL_INTERVAL_MS: '5000' },
      /POLL_INTERVAL_MS/,
    ],
  ])('%s', (_name, env, message) => {
    expect(() => loadAgentConfig(env)).toThrow(AgentConfigError);
    expect(() => loadAgentConfig(env)).toThrow(message);
  });

  it('reads a complete environment', () => {
    expect(
      loadAgentConfig({ AGENT_CLOUD: 'Azure', EVENT_BUS_NAME: 'bus', AWS_REGION: 'eu-west-1', NODE_NAME: 'n1' }),
    ).toEqual({ cloud: 'azure', busName: 'bus', region: 'eu-west-1', nodeName: 'n1', intervalMs: 1000 });
  });

  it.each([
    [
      'a DaemonSet pod stays',
      { metadata: { ownerReferences: [{ kind: 'DaemonSet', name: 'x', uid: 'u', apiVersion: 'apps/v1' }] } },
      true,
    ],
    ['a mirror pod stays', { metadata: { annotations: { 'kubernetes.io/config.mirror': 'abc' } } }, true],
    ['a finished pod stays', { status: { phase: 'Succeeded' } }, true],
    [
      'a ReplicaSet pod must go',
      { metadata: { ownerReferences: [{ kind: 'ReplicaSet', name: 'x', uid: 'u', apiVersion: 'apps/v1' }] } },
      false,
    ],
  ])('%s', (_name, pod, stays) => {
    expect(staysOnDrainedNode(pod)).toBe(stays);
  });
});

describe('the agent as a process', () => {
  it('starts from its environment, puts a notice with the SDK default chain, and stops on SIGTERM', async () => {
    const imds = await startAwsImds({ instanceId: 'i-0a1b2c3d4e5f60718', region: 'us-east-1', zone: 'us-east-1a' });
    cleanups.push(() => imds.close());
    const { emulator } = await bus();
    imds.setSpotAction({ action: 'terminate', time: '2025-03-04T10:17:00Z' });
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['agent/start.ts'], {
      env: {
        PATH: process.env.PATH,
        AGENT_CLOUD: 'aws',
        EVENT_BUS_NAME: BUS,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIAFAKE',
        AWS_SECRET_ACCESS_KEY: 'fake',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL_EVENTBRIDGE: emulator.endpoints.events,
        METADATA_ENDPOINT: imds.endpoint,
        NODE_NAME: 'ip-10-0-1-23',
        POLL_INTERVAL_MS: '500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await expect.poll(() => emulator.events.received.length, { timeout: 10_000 }).toBe(1);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/"message":"notice put on the bus"/);
    expect(out).toMatch(/"message":"node agent stopped"/);
    expect(normalizeEvent(emulator.events.received[0])).toMatchObject({ kind: 'warning' });
  }, 20_000);
});
