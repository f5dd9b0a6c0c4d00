/**
 * Whether an interruption notice is plausible at `now`: a notice dated 1970 or 9999 is a forged, corrupted
 * or replayed event, and acting on it drains and terminates healthy instances. Such notices are refused
 * with the reason; the decision goes on without them.
 *
 * The bounds, and where they come from:
 * - the event is at most 6 hours old: the longest Lambda keeps retrying an asynchronous event
 *   (`MaximumEventAgeInSeconds` defaults to 21,600 s;
 *   https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html);
 * - it is at most 5 minutes in the future: clock skew between the cloud and us (the same tolerance as
 *   AWS Signature Version 4 requests, https://docs.aws.amazon.com/IAM/latest/UserGuide/signing-elements.html);
 * - its deadline is not before the event by more than that skew, and at most this long after it:
 *   spot warnings, preemptions and rebalances 1 hour (AWS gives 2 minutes, Azure Preempt at least 30 s, GCP
 *   30 s), reservation interruptions 1 hour (a Capacity Block warns 40 minutes before its end date), and
 *   maintenance 35 days (EC2 scheduled events are announced up to weeks ahead).
 * Pure: `now` is passed in.
 */
import type { InterruptionKind, InterruptionSignal } from '../domain/signals.ts';
import { ms } from './time.ts';

export const MAX_NOTICE_AGE_MS = 6 * 3600_000;
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
export const MAX_NOTICE_LEAD_MS: Record<InterruptionKind, number> = {
  warning: 3600_000,
  preempt: 3600_000,
  rebalance: 3600_000,
  'reservation-interruption': 3600_000,
  maintenance: 35 * 86_400_000,
};

/** Why the notice is implausible at `now`, or undefined when it is plausible. */
export function implausibleNotice(
  s: Pick<InterruptionSignal, 'time' | 'deadline' | 'kind'>,
  now: number,
): string | undefined {
  const time = ms(s.time);
  if (Number.isNaN(time)) return `its time ${s.time} is not a time`;
  if (time < now - MAX_NOTICE_AGE_MS) return `it is dated ${s.time}, more than 6 hours ago`;
  if (time > now + MAX_CLOCK_SKEW_MS) return `it is dated ${s.time}, in the future`;
  if (s.deadline === undefined) return undefined;
  const deadline = ms(s.deadline);
  if (Number.isNaN(deadline)) return `its deadline ${s.deadline} is not a time`;
  if (deadline < time - MAX_CLOCK_SKEW_MS) return `its deadline ${s.deadline} is before the notice itself`;
  const lead = MAX_NOTICE_LEAD_MS[s.kind];
  if (deadline > time + lead)
    return `its deadline ${s.deadline} is more than ${Math.round(lead / 60_000)} minutes after the notice (${s.time})`;
  return undefined;
}
