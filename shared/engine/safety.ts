/**
 * Rate safety on the fleet's size, applied after the HPA rules and before the hard bounds:
 *   - schedule freezes: `freeze` holds the size (interrupted capacity is still replaced: the placement keeps
 *     the size with new nodes), `freezeScaleDown` forbids a scale-in;
 *   - cooldowns per direction (EC2 Auto Scaling simple-scaling cooldown): no scale-out within
 *     scaleUpCooldownSeconds of the last applied scale-out, same for scale-in; an operator's manual target
 *     is not held by cooldowns;
 *   - the largest step per decision, up and down.
 * Hard bounds (min/max, pools, budget) come after and win: when the fleet is outside them it goes straight
 * to the bound, as the HPA does when the current count is outside [minReplicas, maxReplicas].
 */
import type { SafetyPolicy } from '../domain/types.ts';
import type { FleetHistory } from './history.ts';
import type { Reasons } from './reasons.ts';
import type { WindowEffect } from './schedule.ts';

export function applyFreeze(current: number, x: number, windows: WindowEffect, reasons: Reasons): number {
  const by = `window ${windows.names.join(', ')}`;
  if (windows.freeze)
    return reasons.clip('safety', 'safety.freeze', x, current, by, `frozen by ${by}: size held at ${current}`);
  if (windows.freezeScaleDown && x < current) {
    return reasons.clip(
      'safety',
      'safety.freeze-scale-down',
      x,
      current,
      by,
      `scale-in frozen by ${by}: held at ${current}`,
    );
  }
  return x;
}

/** A cooldown holding a change of the fleet's size: its direction and the seconds it has left. */
export interface Cooldown {
  direction: 'scale-out' | 'scale-in';
  by: 'scaleUpCooldownSeconds' | 'scaleDownCooldownSeconds';
  leftSeconds: number;
}

/**
 * The cooldown that holds a change from `current` to `x` nodes now, if any: a scale-out within
 * `scaleUpCooldownSeconds` of the last applied scale-out, a scale-in within `scaleDownCooldownSeconds` of the
 * last applied scale-in (read from the fleet's history). Decided from the policy, the history and the time
 * alone: whoever needs to know whether a cooldown holds this decision asks this, not the reasons written.
 */
export function cooldownHolding(
  current: number,
  x: number,
  safety: SafetyPolicy,
  history: FleetHistory,
  now: number,
): Cooldown | undefined {
  const left = (seconds: number, last: number) => Math.ceil((seconds * 1000 - (now - last)) / 1000);
  if (x > current && now - history.lastScaleUp < safety.scaleUpCooldownSeconds * 1000) {
    return {
      direction: 'scale-out',
      by: 'scaleUpCooldownSeconds',
      leftSeconds: left(safety.scaleUpCooldownSeconds, history.lastScaleUp),
    };
  }
  if (x < current && now - history.lastScaleDown < safety.scaleDownCooldownSeconds * 1000) {
    return {
      direction: 'scale-in',
      by: 'scaleDownCooldownSeconds',
      leftSeconds: left(safety.scaleDownCooldownSeconds, history.lastScaleDown),
    };
  }
  return undefined;
}

export function applyCooldown(
  current: number,
  x: number,
  safety: SafetyPolicy,
  history: FleetHistory,
  now: number,
  reasons: Reasons,
): number {
  const held = cooldownHolding(current, x, safety, history, now);
  if (!held) return x;
  return reasons.clip(
    'safety',
    'safety.cooldown',
    x,
    current,
    held.by,
    `${held.direction} cooldown: ${held.leftSeconds}s left since the last ${held.direction}`,
  );
}

export function applyMaxStep(current: number, x: number, safety: SafetyPolicy, reasons: Reasons): number {
  const up = current + Math.max(0, safety.maxStepUp);
  const down = Math.max(0, current - Math.max(0, safety.maxStepDown));
  if (x > up)
    return reasons.clip(
      'safety',
      'safety.max-step',
      x,
      up,
      'safety.maxStepUp',
      `at most +${safety.maxStepUp} per decision`,
    );
  if (x < down)
    return reasons.clip(
      'safety',
      'safety.max-step',
      x,
      down,
      'safety.maxStepDown',
      `at most -${safety.maxStepDown} per decision`,
    );
  return x;
}
