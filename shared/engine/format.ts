/**
 * `formatPlan(plan)`: the plan as text for `autoscaler plan` / `explain` and for logs — what changes, what
 * will be executed, and why, step by step.
 */
import type { Action, Plan } from './types.ts';

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
const usd = (n: number) => `$${n.toFixed(2)}/h`;

export function formatAction(a: Action): string {
  switch (a.type) {
    case 'set-desired':
      return (
        `set-desired   ${a.poolId}: ${a.from} -> ${a.to}` +
        (a.toWarm ? ` (${a.toWarm.nodes} back to warm ${a.toWarm.state}, ${a.toWarm.warm} warm after)` : '')
      );
    case 'cordon-drain':
      return `cordon-drain  ${a.instanceId ?? a.node ?? '?'}${a.poolId ? ` (${a.poolId})` : ''}${a.startBy ? ` from ${a.startBy}` : ''} by ${a.deadline}`;
    case 'remove-instance':
      return `remove        ${a.instanceId} (${a.poolId})`;
    case 'scale-deployment':
      return `deployment    ${a.cluster}/${a.namespace}/${a.name}: ${a.replicas} replicas`;
    case 'replace':
      return `replace       ${a.instanceId}: ${a.fromPool} -> ${a.toPool}`;
    case 'mark-offering':
      return `mark-offering ${a.poolId}${a.zone ? `/${a.zone}` : ''} until ${a.until} (${a.reason})`;
    case 'report':
      return `report        [${a.code}] ${a.message}`;
    case 'set-warm':
      return `set-warm      ${a.poolId}: ${a.from} -> ${a.to} ${a.state}`;
  }
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c >= 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd(),
  );
}

export function formatPlan(plan: Plan): string {
  const flags = [plan.dryRun ? '[DRY RUN]' : '', plan.paused ? '[PAUSED]' : ''].filter(Boolean).join(' ');
  const lines = [`Plan for fleet ${plan.fleetId} at ${plan.at}${flags ? ` ${flags}` : ''}`];
  lines.push(
    `Nodes: ${plan.currentNodes} (${plan.readyNodes} ready) -> ${plan.targetNodes}  (recommended ${plan.recommendedNodes}` +
      `${plan.requiredRps !== undefined ? ` for ${plan.requiredRps.toFixed(1)} rps` : ''})`,
  );
  let cost = `Cost: ${usd(plan.currentCostPerHour)} -> ${usd(plan.costPerHour)}`;
  if (plan.budgetCut)
    cost += `  (budget ${usd(plan.budgetCut.budgetUsd)}${plan.budgetCut.unmet ? ', NOT MET: floor kept' : ''})`;
  lines.push(cost);
  if (plan.manualTarget) {
    const m = plan.manualTarget;
    lines.push(
      `Manual target: ${m.target}${m.poolId ? ` on ${m.poolId}` : ''} by ${m.by}${m.until ? ` until ${m.until}` : ''}`,
    );
  }
  lines.push('', 'Pools:');
  const rows = [['POOL', 'CLOUD', 'TYPE', 'CURRENT', 'TARGET', 'DELTA', '$/H']];
  for (const p of plan.pools) {
    rows.push([
      p.poolId,
      p.cloud,
      p.capacityType,
      String(p.current),
      String(p.target),
      signed(p.delta),
      p.hourlyPrice.toFixed(2),
    ]);
  }
  lines.push(...table(rows).map((r) => `  ${r}`));
  for (const p of plan.pools) if (p.blocked) lines.push(`  ${p.poolId}: may not grow (${p.blocked})`);
  lines.push('', plan.dryRun ? 'Actions (dry run, not executed):' : 'Actions:');
  if (plan.actions.length === 0) lines.push('  none');
  for (const [i, a] of plan.actions.entries()) lines.push(`  ${i + 1}. ${formatAction(a)}`);
  if (plan.suppressedActions.length > 0) {
    lines.push('', 'Held back by the pause:');
    for (const [i, a] of plan.suppressedActions.entries()) lines.push(`  ${i + 1}. ${formatAction(a)}`);
  }
  lines.push('', 'Why:');
  const kindWidth = Math.max(...plan.reasons.map((r) => r.kind.length), 0) + 2;
  const codeWidth = Math.max(...plan.reasons.map((r) => r.code.length), 0);
  for (const r of plan.reasons) {
    const clip =
      r.before !== undefined && r.after !== undefined
        ? ` [${r.before} -> ${r.after}${r.clippedBy ? ` by ${r.clippedBy}` : ''}]`
        : '';
    lines.push(`  ${`[${r.kind}]`.padEnd(kindWidth)} ${r.code.padEnd(codeWidth)}  ${r.message}${clip}`);
  }
  return lines.join('\n');
}
