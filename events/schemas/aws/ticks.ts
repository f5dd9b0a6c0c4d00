import type { NormalizeContext, TickRule } from '../../context.ts';

/**
 * What a scheduled rule's ticks are for. Configuration first (`ctx.ticks[ruleName]`); otherwise the rule's
 * name says it: a name containing `forecast` ticks the forecaster, one containing `schedule`/`scheduled`
 * applies business-hours windows, and the part after `schedule-` names the window
 * (`gpu-autoscaler-schedule-business-hours` -> window `business-hours`). Other names: undefined (no-op).
 */
export function tickRule(name: string, ctx: NormalizeContext): TickRule | undefined {
  if (ctx.ticks && Object.hasOwn(ctx.ticks, name)) return ctx.ticks[name];
  if (/forecast/i.test(name)) return { purpose: 'forecast' };
  if (/schedul/i.test(name)) {
    const window = /schedule[-_.:]+([A-Za-z0-9][\w.-]*)$/i.exec(name)?.[1];
    return window ? { purpose: 'schedule', window } : { purpose: 'schedule' };
  }
  return undefined;
}
