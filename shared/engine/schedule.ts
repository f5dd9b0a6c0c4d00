/**
 * Schedule windows: which are active at a given instant, and what they change.
 *
 * A window is active on its ISO weekdays from `start` (inclusive) to `end` (exclusive), local time in its
 * IANA time zone (so daylight-saving changes follow the zone). When `end` is not after `start` the window
 * wraps midnight and its early-morning part belongs to the previous day's window ("Fri 22:00-02:00" is
 * active on Saturday at 01:00). `start` equal to `end` means the whole day.
 *
 * Local time comes from `Intl.DateTimeFormat` (deterministic for a given instant and zone, no I/O). An
 * unknown zone or a malformed time makes the window inactive; `activeWindows` reports it.
 */
import type { ScheduleWindow } from '../domain/types.ts';

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** ISO weekday (1..7) and minutes since local midnight at `now` in `timeZone`. Throws RangeError on a bad zone. */
export function localTime(now: number, timeZone: string): { day: number; minutes: number } {
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatter(timeZone).formatToParts(now)) {
    if (part.type === 'weekday') day = WEEKDAYS[part.value] ?? 0;
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minutes: hour * 60 + minute };
}

function parseHhMm(s: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s);
  if (!m) return Number.NaN;
  const h = Number(m[1]);
  const min = Number(m[2]);
  return h <= 24 && min < 60 ? h * 60 + min : Number.NaN;
}

/** Whether the window is active at `now`. Throws RangeError for an unknown time zone or a malformed time. */
export function isWindowActive(window: ScheduleWindow, now: number): boolean {
  const start = parseHhMm(window.start);
  const end = parseHhMm(window.end);
  if (Number.isNaN(start) || Number.isNaN(end)) throw new RangeError(`window ${window.name}: malformed start/end`);
  const { day, minutes } = localTime(now, window.timeZone);
  if (start === end) return window.days.includes(day);
  if (start < end) return window.days.includes(day) && minutes >= start && minutes < end;
  // Wraps midnight: the evening part belongs to today, the morning part to yesterday's window.
  if (minutes >= start) return window.days.includes(day);
  const yesterday = day === 1 ? 7 : day - 1;
  return minutes < end && window.days.includes(yesterday);
}

/** The windows active at `now`, and the names of those that could not be evaluated. */
export function activeWindows(
  windows: readonly ScheduleWindow[],
  now: number,
): { active: ScheduleWindow[]; invalid: string[] } {
  const active: ScheduleWindow[] = [];
  const invalid: string[] = [];
  for (const w of windows) {
    try {
      if (isWindowActive(w, now)) active.push(w);
    } catch {
      invalid.push(w.name);
    }
  }
  return { active, invalid };
}

/** What the active windows change, combined: the highest floor, the lowest ceiling, any freeze. */
export interface WindowEffect {
  minNodes?: number;
  maxNodes?: number;
  freeze: boolean;
  freezeScaleDown: boolean;
  scaleToZero: boolean;
  /** Names of the active windows, for the explanation. */
  names: string[];
}

export function combineWindows(active: readonly ScheduleWindow[]): WindowEffect {
  const effect: WindowEffect = { freeze: false, freezeScaleDown: false, scaleToZero: false, names: [] };
  for (const w of active) {
    effect.names.push(w.name);
    if (w.minNodes !== undefined) effect.minNodes = Math.max(effect.minNodes ?? 0, w.minNodes);
    if (w.maxNodes !== undefined) effect.maxNodes = Math.min(effect.maxNodes ?? Number.POSITIVE_INFINITY, w.maxNodes);
    effect.freeze ||= w.freeze === true;
    effect.freezeScaleDown ||= w.freezeScaleDown === true;
    effect.scaleToZero ||= w.scaleToZero === true;
  }
  return effect;
}

/** How far apart `aheadInstants` looks (ms): a minute, the granularity of a window's start and end times. */
export const SCHEDULE_STEP_MS = 60_000;

/**
 * The instants a window's floor must be ready at if the nodes launched now are the last to make it: from now
 * + time to ready (a node launched now serves from then) to now + lead (the next decision's launches serve
 * from then), a minute apart and both ends included, so that a window shorter than the decision interval that
 * starts between the two is seen too. A window that ends before now + time to ready is not: nothing launched
 * now would serve it.
 */
export function aheadInstants(now: number, timeToReadySeconds: number, leadSeconds: number): number[] {
  const from = now + Math.max(0, timeToReadySeconds) * 1000;
  const to = now + Math.max(timeToReadySeconds, leadSeconds) * 1000;
  const out: number[] = [];
  for (let at = from; at < to; at += SCHEDULE_STEP_MS) out.push(at);
  out.push(to);
  return out;
}

/**
 * The floors of windows that are not active now but will be within the lead time: a window's floor must be
 * ready by its start, so its nodes launch a time to ready earlier (the decision before that may be one
 * interval too late). `instants` are the times to look at (`aheadInstants`). A window is told apart from the
 * active ones by itself, not by its name: two windows may share one (a schedule's morning and afternoon).
 */
export function upcomingFloor(
  windows: readonly ScheduleWindow[],
  active: readonly ScheduleWindow[],
  instants: readonly number[],
): { minNodes?: number; names: string[] } {
  const out: { minNodes?: number; names: string[] } = { names: [] };
  const now = new Set(active);
  for (const at of instants) {
    for (const w of activeWindows(windows, at).active) {
      if (now.has(w) || w.minNodes === undefined) continue;
      if (!out.names.includes(w.name)) out.names.push(w.name);
      out.minNodes = Math.max(out.minNodes ?? 0, w.minNodes);
    }
  }
  return out;
}
