import { describe, expect, it } from 'vitest';
import { alarmRef, normalizeEvent } from '../../events/index.ts';
import { loadSample } from '../../events/samples.ts';
import { loadConfigFile, resolveConfig } from '../../shared/config/load.ts';
import { alarmRoutes, routingOf } from '../../shared/config/routing.ts';
import type { Config } from '../../shared/config/schema.ts';
import { DEMO_CONFIG } from '../support/stack.ts';

const resolvedDemo = () => loadConfigFile(DEMO_CONFIG);

type Alarms = Config['alarms'];
const a = (alarm: string, fleetId: string, extra: Partial<Alarms[number]> = {}): Alarms[number] => ({
  alarm,
  fleetId,
  ...extra,
});

describe('alarm mapping: one rule, wildcards included', () => {
  interface Case {
    name: string;
    alarms: Alarms;
    alarm: string;
    expected: { fleetId: string; poolId?: string; metric?: string } | undefined;
  }
  const cases: Case[] = [
    {
      name: 'an exact name',
      alarms: [a('chat-gpu-high', 'chat', { metric: 'gpu_utilization' })],
      alarm: 'chat-gpu-high',
      expected: { fleetId: 'chat', metric: 'gpu_utilization' },
    },
    {
      name: 'a name under a prefix, with its pool',
      alarms: [a('chat-*', 'chat', { poolId: 'aws-spot' })],
      alarm: 'chat-queue-high',
      expected: { fleetId: 'chat', poolId: 'aws-spot' },
    },
    {
      // Listed after the prefix that also matches, the exact name still wins.
      name: 'an exact name before any prefix',
      alarms: [a('chat-*', 'by-prefix'), a('chat-gpu-high', 'by-name')],
      alarm: 'chat-gpu-high',
      expected: { fleetId: 'by-name' },
    },
    {
      name: 'the longest prefix, wherever it is listed',
      alarms: [a('chat-*', 'short'), a('chat-gpu-*', 'long'), a('c*', 'shortest')],
      alarm: 'chat-gpu-high',
      expected: { fleetId: 'long' },
    },
    {
      name: 'the first of two mappings of one name',
      alarms: [a('chat-gpu-high', 'first'), a('chat-gpu-high', 'second')],
      alarm: 'chat-gpu-high',
      expected: { fleetId: 'first' },
    },
    {
      name: 'the first of two mappings of one prefix',
      alarms: [a('chat-*', 'first'), a('chat-*', 'second')],
      alarm: 'chat-x',
      expected: { fleetId: 'first' },
    },
    {
      name: 'an exact name is not a prefix',
      alarms: [a('chat-gpu', 'chat')],
      alarm: 'chat-gpu-2',
      expected: undefined,
    },
    { name: 'a name under no prefix', alarms: [a('chat-*', 'chat')], alarm: 'billing', expected: undefined },
    { name: '`*` alone maps every alarm', alarms: [a('*', 'all')], alarm: 'anything', expected: { fleetId: 'all' } },
    // Names are data, never keys of Object.prototype.
    { name: 'a name such as `constructor`', alarms: [], alarm: 'constructor', expected: undefined },
  ];

  it.each(cases)('$name', ({ alarms, alarm, expected }) => {
    expect(alarmRef(alarmRoutes(alarms), alarm)).toEqual(expected);
  });
});

describe('routing of a configuration', () => {
  it('is resolved once per configuration, and anew for a configuration derived from it', async () => {
    const resolved = await resolvedDemo();
    const first = routingOf(resolved);
    expect(routingOf(resolved)).toBe(first);
    const narrowed = { ...resolved, config: { ...resolved.config, alarms: [] } };
    expect(routingOf(narrowed)).not.toBe(first);
    expect(routingOf(narrowed).alarms).toEqual({});
  });

  it('maps an alarm event by a configured prefix in the normalizer, ahead of its dimensions', async () => {
    const demo = await resolvedDemo();
    const config: Config = {
      ...demo.config,
      alarms: [a('chat-gpu-*', demo.fleets[0]!.id, { poolId: demo.fleets[0]!.pools[0]!.id })],
    };
    const routing = routingOf(resolveConfig(config));
    // The sample alarm `chat-gpu-util-high` also carries an AutoScalingGroupName dimension.
    const signal = normalizeEvent(loadSample('aws-cloudwatch-alarm', 'valid'), routing);
    expect(signal).toMatchObject({
      type: 'metric-alarm',
      fleetId: demo.fleets[0]!.id,
      poolId: demo.fleets[0]!.pools[0]!.id,
    });
  });
});
