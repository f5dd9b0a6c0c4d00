/**
 * Explains the placement of the final count: which pools grow or shrink and by which rule, the spot mix,
 * and fallbacks taken.
 */
import { desiredSpot } from './placement-steps.ts';
import type { Layout } from './layout.ts';
import type { PlacementPath } from './placement-path.ts';
import type { Reasons } from './reasons.ts';

const perRps = (usd: number) => (Number.isFinite(usd) ? `$${usd.toFixed(4)}/h per rps` : 'no throughput');

/** Nodes added to meet the floor rather than for throughput, by pool, and the floor's name. */
export interface FloorNodes {
  nodes: ReadonlyMap<string, number>;
  by: string;
}

export function explainPlacement(path: PlacementPath, final: Layout, reasons: Reasons, floor?: FloorNodes): void {
  const baseline = path.baseline;
  const used = Math.max(0, final.total - baseline.total);
  const modes = path.addModes.slice(0, used);
  for (let i = 0; i < final.slots.length; i++) {
    const slot = final.slots[i];
    const forFloor = floor?.nodes.get(slot.pool.id) ?? 0;
    const delta = final.counts[i] - baseline.counts[i] - forFloor;
    if (forFloor > 0) {
      reasons.add(
        'placement',
        'placement.floor',
        `${slot.pool.id} +${forFloor} for the floor (${floor?.by}): the cheapest node with room ($${slot.pool.hourlyPrice.toFixed(2)}/h)`,
        { poolId: slot.pool.id },
      );
    }
    if (delta > 0) {
      const code = slot.tier === 'reserved' ? 'placement.reserved-first' : 'placement.cheapest';
      const why =
        slot.tier === 'reserved'
          ? 'reserved capacity first (already paid)'
          : slot.pool.priority
            ? `priority ${slot.pool.priority}, then the cheapest ${slot.tier} with room (${perRps(slot.costPerRps)})`
            : `cheapest ${slot.tier} with room (${perRps(slot.costPerRps)})`;
      reasons.add('placement', code, `${slot.pool.id} +${delta}: ${why}`, { poolId: slot.pool.id });
    } else if (delta < 0) {
      reasons.add(
        'placement',
        'placement.scale-in',
        `${slot.pool.id} ${delta}: ${slot.tier}, most expensive per throughput first (${perRps(slot.costPerRps)})`,
        { poolId: slot.pool.id },
      );
    }
  }
  if (modes.includes('fallback-on-demand')) {
    reasons.add(
      'placement',
      'placement.fallback-on-demand',
      `${modes.filter((m) => m === 'fallback-on-demand').length} node(s) on-demand: no spot offering had room (caps, spread or backoff)`,
    );
  }
  if (modes.includes('spot-over-share')) {
    reasons.add(
      'placement',
      'placement.spot-over-share',
      `${modes.filter((m) => m === 'spot-over-share').length} node(s) on spot beyond the share: no on-demand pool had room`,
    );
  }
  const p = final.policy;
  if (final.total > 0 && (final.spot > 0 || p.spotShare > 0)) {
    reasons.add(
      'placement',
      'placement.spot-share',
      `${final.spot} of ${final.total} node(s) on spot (mix wants ${desiredSpot(final.total, final.reserved, p)}: base ${p.onDemandBase} regular, ${Math.round(p.spotShare * 100)}% spot above it), ${final.reserved} reserved`,
    );
  }
}
