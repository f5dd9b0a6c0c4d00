/**
 * Business-hours windows as EventBridge Scheduler schedules: one schedule per window edge (start and end),
 * a `cron(...)` in the window's own time zone (so daylight-saving changes follow the zone), and the input
 * the schedule function parses (events/schemas/aws/scheduler.ts). The function re-evaluates every window
 * at each tick (shared/engine/schedule.ts), so an edge only says when to look. Pure: no SST globals.
 */
import type { ScheduleConfig } from '../shared/config/schema.ts';

export type Edge = 'start' | 'end';

export interface WindowSchedule {
  /** Scheduler schedule name: `[0-9A-Za-z._-]{1,64}`, unique in the group. */
  name: string;
  window: string;
  edge: Edge;
  expression: string;
  timeZone: string;
  /** The JSON input; `<aws.scheduler.*>` placeholders are filled in by Scheduler at each invocation. */
  input: Record<string, string>;
}

/** Scheduler substitutes these context attributes in a templated target's input. */
export const SCHEDULER_CONTEXT = {
  scheduleArn: '<aws.scheduler.schedule-arn>',
  scheduledTime: '<aws.scheduler.scheduled-time>',
  executionId: '<aws.scheduler.execution-id>',
  attemptNumber: '<aws.scheduler.attempt-number>',
} as const;

// Cron day-of-week names avoid the off-by-one between ISO weekdays (1 = Monday) and cron's (1 = Sunday).
const DAY_NAMES = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;

function dayList(days: readonly number[], shift: 0 | 1): string {
  const shifted = [...new Set(days.map((d) => ((d - 1 + shift) % 7) + 1))].sort((a, b) => a - b);
  return shifted.map((d) => DAY_NAMES[d - 1]).join(',');
}

function cron(hhmm: string, days: readonly number[], shift: 0 | 1): string {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  // cron(minutes hours day-of-month month day-of-week year): day-of-month must be `?` with a day-of-week.
  return `cron(${m} ${h} ? * ${dayList(days, shift)} *)`;
}

function scheduleName(window: string, edge: Edge, taken: Set<string>): string {
  const base = window.replace(/[^0-9A-Za-z._-]+/g, '-').replace(/^-+|-+$/g, '') || 'window';
  let name = `${base.slice(0, 64 - edge.length - 1)}-${edge}`;
  for (let i = 2; taken.has(name); i++) {
    const suffix = `-${i}-${edge}`;
    name = `${base.slice(0, 64 - suffix.length)}${suffix}`;
  }
  taken.add(name);
  return name;
}

/**
 * The two edges of each window. A window whose end is not after its start wraps midnight, so its end falls
 * on the next day; `start` equal to `end` is a whole-day window, whose edges are midnight to midnight.
 */
export function windowSchedules(schedules: readonly ScheduleConfig[]): WindowSchedule[] {
  const taken = new Set<string>();
  return schedules.flatMap((s) => {
    const wholeDay = s.start === s.end;
    const start = wholeDay ? '00:00' : s.start;
    const end = wholeDay ? '00:00' : s.end;
    const wraps = wholeDay || s.end < s.start;
    const edges: [Edge, string][] = [
      ['start', cron(start, s.days, 0)],
      ['end', cron(end, s.days, wraps ? 1 : 0)],
    ];
    return edges.map(([edge, expression]) => ({
      name: scheduleName(s.name, edge, taken),
      window: s.name,
      edge,
      expression,
      timeZone: s.timeZone,
      input: { kind: 'schedule', window: s.name, edge, ...SCHEDULER_CONTEXT },
    }));
  });
}

/** The forecast tick's input. */
export const FORECAST_INPUT: Record<string, string> = { kind: 'forecast', ...SCHEDULER_CONTEXT };
