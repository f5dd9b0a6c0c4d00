/**
 * An Azure scale-out the platform cannot place, end to end (the real handlers, the real @azure/arm-compute
 * client, the ARM emulator): Compute leaves a Failed VM for each seat it could not fill and never retries it.
 * A decision that sees them (the one whose grow was refused, or any later one) backs the offering off, cancels
 * those seats and places the capacity elsewhere, and the scale set deletes the Failed VMs by id, ending none of
 * the VMs that serve.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FAILED_INDEX_BASE } from '../../local/emulators/azure/failed.ts';
import type { Plan } from '../../shared/engine/types.ts';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { tick, utilizationAlarm } from './support.ts';

const AZURE = 'azure-a100-spot';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A hot fleet whose Azure zones hold what runs there and nothing more. */
async function fullAzure(): Promise<{ h: Harness; serving: string[] }> {
  const h = await startHarness({
    desired: { 'aws-g5-ondemand': 2, 'aws-g5-spot': 2, [AZURE]: 2, 'gcp-l4': 1 },
    block: null,
  });
  for (const zone of h.world.pool(AZURE)!.zones)
    h.world.setSpotCapacity(AZURE, zone, h.world.instancesOf(AZURE).filter((i) => i.zone === zone).length);
  h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000 - 60, 140);
  h.metrics.add('gpu_utilization', { fleet: FLEET }, T0 / 1000, 140);
  return { h, serving: h.world.instancesOf(AZURE).map((i) => i.id) };
}

/** Instance ids the scale set was asked to delete. */
function deleted(h: Harness): string[] {
  return h.world
    .callsTo('arm', 'virtualMachineScaleSets.deleteInstances')
    .flatMap((c) => (c.params as { body: { instanceIds: string[] } }).body.instanceIds);
}

const reasonsOf = (plan: unknown) => ((plan as Plan).reasons ?? []).map((r) => `${r.code}: ${r.message}`).join('\n');

describe('Azure VMs that could not be allocated', () => {
  it('the decision whose grow was refused cancels them, deletes them by id and places the capacity elsewhere', async () => {
    const setup = await fullAzure();
    h = setup.h;
    const id = crypto.randomUUID();
    await h.invoke('alarm', utilizationAlarm(T0, 140, { id }));
    const audits = (await h.audits()).filter((a) => a.eventId.startsWith(id));
    const asked = (audits.find((a) => a.eventId === id)!.plan as Plan).pools.find((p) => p.poolId === AZURE)!;
    expect(asked.target).toBeGreaterThan(asked.current);
    const redecided = audits.find((a) => a.eventId === `${id}#refused`)!;
    expect(reasonsOf(redecided.plan)).toMatch(
      new RegExp(
        `placement.short-of-capacity: ${AZURE}: ${asked.target - asked.current} node\\(s\\) asked for are not launched`,
      ),
    );
    const ids = deleted(h);
    expect(ids).toHaveLength(asked.target - asked.current);
    expect(ids.every((x) => Number(x) >= FAILED_INDEX_BASE)).toBe(true);
    expect(h.world.instancesOf(AZURE).map((i) => i.id)).toEqual(setup.serving);
    expect(h.desired()[AZURE]).toBe(setup.serving.length);
    expect(h.totalDesired()).toBeGreaterThan(2 + 2 + setup.serving.length + 1);
  });

  it('a later decision that finds them (the operation outcome never seen) does the same at once', async () => {
    const setup = await fullAzure();
    h = setup.h;
    // The scale-out's operation reports nothing wrong (an invocation that stopped waiting would not see it):
    // only the VMs say what happened.
    h.stack.azure.configure({ failOnShortfall: false });
    const first = crypto.randomUUID();
    await h.invoke('alarm', utilizationAlarm(T0, 140, { id: first }));
    const asked = ((await h.audit(first))!.plan as Plan).pools.find((p) => p.poolId === AZURE)!;
    expect(asked.target).toBeGreaterThan(asked.current);
    expect(h.desired()[AZURE]).toBe(asked.target);
    expect(deleted(h)).toEqual([]);

    // 30 s later, well within the launch grace that would otherwise take them as still coming.
    h.world.advance(30);
    const second = crypto.randomUUID();
    await h.invoke('forecast', tick(T0 + 30_000, 'forecast', second));
    const reasons = reasonsOf((await h.audit(second))!.plan);
    expect(reasons).toMatch(new RegExp(`signal.capacity: launch failed in pool ${AZURE}`));
    expect(reasons).toMatch(
      new RegExp(`placement.short-of-capacity: ${AZURE}: \\d+ node\\(s\\) asked for are not launched`),
    );
    const ids = deleted(h);
    expect(ids).toHaveLength(asked.target - asked.current);
    expect(ids.every((x) => Number(x) >= FAILED_INDEX_BASE)).toBe(true);
    expect(h.world.instancesOf(AZURE).map((i) => i.id)).toEqual(setup.serving);
    expect(h.desired()[AZURE]).toBe(setup.serving.length);
  });
});
