/**
 * A mass reclaim: `notices` spot warnings for one fleet's nodes within 10 s, each node's pods held by a
 * PodDisruptionBudget that allows no eviction, so every drain runs to its end (about 60 s: the invocation's
 * 65 s less the margin to record it). The world's clock follows the wall clock here (a ticker moves it), so
 * the emulators' call times are the simulated clock. For each notice: the node must be cordoned, and a
 * replacement asked for (a capacity raise made after the notice), within 5 s of the notice; no notice may be
 * dead-lettered (Lambda's three attempts all failing).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SPOT_NOTICE_SECONDS } from '../../local/emulators/world.ts';
import { parseConfig, resolveConfig } from '../../shared/config/load.ts';
import { loadSample } from '../../events/samples.ts';
import { deliver } from './delivery.ts';
import { chaosStack, DEMO_CONFIG, FLEET, T0 } from './stack.ts';
import type { Row } from './table.ts';

const CAPACITY_WRITES =
  /^(SetDesiredCapacity|ModifyFleet|virtualMachineScaleSets\.update|(region)?[iI]nstanceGroupManagers\.resize)$/;
const WINDOW_MS = 5_000;

/** The i-th quantile (0..1) of a list of numbers. */
export function quantile(values: readonly number[], q: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function massReclaim(options: { notices: number }): Promise<Row> {
  const raw = JSON.parse(readFileSync(DEMO_CONFIG, 'utf8')) as {
    fleets: Array<{ policy: { maxNodes: number }; pools: Array<{ id: string; max: number }> }>;
  };
  const fleet = raw.fleets[0]!;
  fleet.policy.maxNodes = Math.max(fleet.policy.maxNodes, options.notices * 3);
  for (const p of fleet.pools) if (p.id === 'aws-g5-spot' || p.id === 'aws-g5-ondemand') p.max = options.notices * 2;
  const resolved = resolveConfig(parseConfig(raw));
  // The world's clock follows the wall clock from the start.
  let wallStart = Date.now();
  const s = await chaosStack({ resolved, desired: { 'aws-g5-spot': options.notices, 'aws-g5-ondemand': 2 } });
  wallStart = Date.now();
  const ticker = setInterval(() => {
    const target = T0 + (Date.now() - wallStart);
    if (target > s.world.now()) s.world.advanceTo(target);
  }, 50);
  try {
    const k8s = s.stack.kubernetes.get('gpu-demo')!.state;
    k8s.addPdb({ namespace: 'inference', name: 'llm-server-hold', selector: { app: 'llm-server' }, maxUnavailable: 0 });
    const victims = s.world.instancesOf('aws-g5-spot').slice(0, options.notices);
    const spacing = Math.min(10_000 / options.notices, 200);
    const sent: Array<{ node: string; at: number; delivery: Promise<{ ok: boolean }> }> = [];
    for (const [n, i] of victims.entries()) {
      await new Promise((r) => setTimeout(r, n === 0 ? 0 : spacing));
      const at = s.world.now();
      s.world.interrupt(i, 'spot', SPOT_NOTICE_SECONDS.aws);
      const event = loadSample<Record<string, unknown> & { detail: Record<string, unknown> }>('aws-spot-interruption');
      event.id = randomUUID();
      event.time = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
      event.detail['instance-id'] = i.id;
      event.resources = [`arn:aws:ec2:us-east-1:123456789012:instance/${i.id}`];
      event.region = 'us-east-1';
      sent.push({
        node: i.nodeName,
        at,
        delivery: deliver(() => s.invokeInNewContainer('spot-interruption', event, 65_000), 3, 1_000),
      });
    }
    const results = await Promise.all(sent.map((x) => x.delivery));
    const calls = s.world.calls;
    // How the notices were decided: each notice has its own audit record; a notice decided in another's
    // decision says so (`batched`), the others are decisions.
    const audits = await s.stack.deps.store.listAudit(FLEET, options.notices * 4);
    const batched = audits.filter((a) => a.outcome.status === 'batched').length;
    const decisions = audits.length - batched;
    let lateCordon = 0;
    let lateReplace = 0;
    const cordonMs: number[] = [];
    const replaceMs: number[] = [];
    for (const n of sent) {
      const cordon = calls.find(
        (c) =>
          c.operation === 'nodes.patch' &&
          c.at >= n.at &&
          (c.params as { path?: string; body?: { spec?: { unschedulable?: boolean } } })?.path?.endsWith(
            `/${n.node}`,
          ) &&
          (c.params as { body?: { spec?: { unschedulable?: boolean } } }).body?.spec?.unschedulable === true,
      );
      const replace = calls.find((c) => CAPACITY_WRITES.test(c.operation) && c.at >= n.at);
      const dc = cordon ? cordon.at - n.at : Number.POSITIVE_INFINITY;
      const dr = replace ? replace.at - n.at : Number.POSITIVE_INFINITY;
      if (!(dc <= WINDOW_MS)) lateCordon++;
      if (!(dr <= WINDOW_MS)) lateReplace++;
      if (Number.isFinite(dc)) cordonMs.push(dc);
      if (Number.isFinite(dr)) replaceMs.push(dr);
    }
    const sec = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'never');
    return {
      name: 'mass reclaim',
      scale: `${options.notices} spot warnings for one fleet within ${((spacing * options.notices) / 1000).toFixed(0)} s, drains held ~60 s by a PodDisruptionBudget`,
      failures: {
        'not cordoned within 5 s': lateCordon,
        'no replacement asked within 5 s': lateReplace,
        'dead-lettered': results.filter((r) => !r.ok).length,
      },
      figures: `cordon p50 ${sec(quantile(cordonMs, 0.5))}, max ${sec(quantile(cordonMs, 1))}; replacement p50 ${sec(quantile(replaceMs, 0.5))}, max ${sec(quantile(replaceMs, 1))}; ${decisions} decisions, ${batched} notices decided in another's`,
    };
  } finally {
    clearInterval(ticker);
    await s.close();
  }
}
