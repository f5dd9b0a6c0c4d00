/**
 * Every trigger, one per Lambda function: the function names, the signal types each accepts and the
 * stacks' function specs (`stacks/function-specs.ts`, keyed by `TriggerName`) all come from this list.
 */
import { alarm } from './alarm.ts';
import { capacityReservation } from './capacity-reservation.ts';
import { drain } from './drain.ts';
import { forecast } from './forecast.ts';
import { ops } from './ops.ts';
import { schedule } from './schedule.ts';
import { spotInterruption } from './spot-interruption.ts';
import type { AnyTrigger } from './trigger.ts';

export const TRIGGERS = [alarm, spotInterruption, drain, capacityReservation, forecast, schedule, ops] as const;

export type TriggerName = (typeof TRIGGERS)[number]['name'];

export const TRIGGER_NAMES: readonly TriggerName[] = TRIGGERS.map((t) => t.name);

export function triggerNamed(name: TriggerName): AnyTrigger {
  return TRIGGERS.find((t) => t.name === name)!;
}
