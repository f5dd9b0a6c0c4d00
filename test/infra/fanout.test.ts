/**
 * One decision per fleet (stacks/fanout.ts): a forecast schedule per fleet and a window schedule per edge
 * and fleet, names valid and unique at 1,000 fleets, the spread of one tick over time, and the handler side:
 * a tick naming a fleet decides that fleet only, with an event id of its own (its schedule's ARN).
 */
import { describe, expect, it } from 'vitest';
import { normalizeEvent } from '../../events/index.ts';
import { parseConfig } from '../../shared/config/load.ts';
import type { ConfigInput } from '../../shared/config/schema.ts';
import {
  fleetWindowSchedules,
  flexibleWindowMinutes,
  forecastSchedules,
  reservedFor,
  scheduleName,
} from '../../stacks/fanout.ts';
import { FUNCTION_SPECS } from '../../stacks/function-specs.ts';
import { INFRA_CONFIG } from './support/config.ts';

const pool = INFRA_CONFIG.fleets[0]!.pools[1]!;

function manyFleets(n: number): ConfigInput {
  const ids = Array.from({ length: n }, (_, i) => `fleet-${String(i).padStart(4, '0')}-${'x'.repeat(i % 40)}`);
  return {
    ...INFRA_CONFIG,
    fleets: ids.map((id, i) => ({ id, pools: [{ ...pool, id: `${id}-p`, resource: `asg-${i}` }] })),
    alarms: [],
    schedules: [{ ...INFRA_CONFIG.schedules![0]!, fleets: ids }],
  };
}

describe('fleet schedules at 1,000 fleets', () => {
  const config = parseConfig(manyFleets(1000));
  const forecasts = forecastSchedules(config);
  const windows = fleetWindowSchedules(config.schedules);

  it('one forecast schedule per fleet, and one schedule per window edge and fleet', () => {
    expect(forecasts).toHaveLength(1000);
    expect(windows).toHaveLength(2000);
    expect(new Set(forecasts.map((f) => f.fleetId)).size).toBe(1000);
  });

  it('names within Scheduler’s rules, unique in the group', () => {
    const names = [...forecasts, ...windows].map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[0-9A-Za-z._-]{1,64}$/);
  });

  it('each input names its fleet and parses as a tick for that fleet', () => {
    const input = {
      ...windows[1234]!.input,
      scheduleArn: `arn:aws:scheduler:us-east-1:123456789012:schedule/g/${windows[1234]!.name}`,
      scheduledTime: '2025-03-04T08:00:00Z',
      executionId: 'e1',
      attemptNumber: '1',
    };
    expect(normalizeEvent(input)).toMatchObject({ type: 'tick', purpose: 'schedule', fleetId: windows[1234]!.fleetId });
  });

  it('two fleets of one tick are two events (their schedules differ), so neither is taken for the other', () => {
    const ids = forecasts.slice(0, 2).map((f) =>
      normalizeEvent({
        ...f.input,
        scheduleArn: `arn:aws:scheduler:us-east-1:123456789012:schedule/g/${f.name}`,
        scheduledTime: '2025-03-04T08:00:00Z',
        executionId: 'e1',
        attemptNumber: '1',
      }),
    );
    expect(ids[0]!.eventId).not.toBe(ids[1]!.eventId);
  });
});

describe('scheduleName', () => {
  it.each([
    ['short', 'forecast-chat', 'forecast-chat'],
    ['spaces', 'business hours-start', 'business-hours-start'],
  ])('%s', (_n, base, name) => {
    expect(scheduleName(base)).toBe(name);
  });
  it('long names keep a digest of the whole, so two long names differ', () => {
    const a = scheduleName(`${'a'.repeat(70)}-1`);
    const b = scheduleName(`${'a'.repeat(70)}-2`);
    expect(a).toHaveLength(64);
    expect(a).not.toBe(b);
  });
});

describe('concurrency and spread', () => {
  it.each([
    [1, 10, undefined],
    [10, 10, undefined],
    [11, 10, 1],
    [1000, 10, 4],
    [1000, 50, 1],
  ])('%i fleets at %i at once: a window of %s minutes', (fleets, concurrency, minutes) => {
    expect(flexibleWindowMinutes(fleets, concurrency)).toBe(minutes);
  });

  it('the tick functions reserve the configured fleet concurrency, the others their own', () => {
    const lambda = { fleetConcurrency: 25 };
    expect(FUNCTION_SPECS.map((s) => [s.key, reservedFor(s, lambda)])).toEqual(
      FUNCTION_SPECS.map((s) => [s.key, s.key === 'forecast' || s.key === 'schedule' ? 25 : s.reserved]),
    );
  });
});
