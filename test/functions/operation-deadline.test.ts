/**
 * A long-running operation never holds an invocation past its deadline: the executor gives each cloud write
 * the time left before the Lambda's deadline (less the margin to record the outcome), the adapter stops
 * waiting then, and the audit record says the operation is still in progress, with its id and URL. The next
 * decision for the same count starts nothing again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { localContext } from '../../shared/runtime/handler.ts';
import { FLEET, type Harness, startHarness, T0 } from '../support/stack.ts';
import { ACTOR, command } from './support.ts';
import { localHandler } from '../../local/handler.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('an Azure scale-set update still running at the invocation deadline', () => {
  it('is recorded pending before the deadline, and not started again by the next decision', async () => {
    h = await startHarness({ desired: { 'azure-a100-spot': 1 }, block: null });
    // The scale set's operations stay InProgress far longer than the test (the adapter would wait 10 s).
    h.stack.azure.configure({ operationPolls: 1_000_000 });
    const handler = localHandler({ trigger: 'ops', deps: async () => h!.stack.deps });
    const scale = (requestId: string) =>
      command(
        {
          command: 'scale',
          fleetId: FLEET,
          poolId: 'azure-a100-spot',
          target: 3,
          requestId,
          actor: ACTOR,
          reason: 'deadline test',
        },
        T0,
      );
    // Warm: the SDKs loaded and the clients built, so the measured invocation spends its time deciding.
    await handler(command({ command: 'status' }, T0), localContext('ops', 120_000));
    // A 15 s invocation: the write may wait what is left of it less the 10 s kept to record the outcome.
    // Without that limit the adapter would wait its own 10 s and fail the resize (OperationTimeout).
    const started = Date.now();
    const r = (await handler(scale('ops-1'), localContext('ops', 15_000))) as { audit?: unknown };
    // Ended before its own deadline.
    expect(Date.now() - started).toBeLessThan(15_000);
    const audit = r.audit as { outcome: { status: string; applied: Array<{ poolId?: string; detail?: unknown }> } };
    const resize = audit.outcome.applied.find((a) => a.poolId === 'azure-a100-spot');
    expect(resize?.detail).toMatchObject({
      from: 1,
      to: 3,
      pending: true,
      operationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      operationUrl: expect.stringContaining('/providers/Microsoft.Compute/locations/'),
    });
    expect(audit.outcome.status).toBe('applied');
    expect(h.desired()['azure-a100-spot']).toBe(3);

    // The next decision for the same count finds the scale set updating to it: nothing is started again.
    await handler(scale('ops-2'), localContext('ops', 15_000));
    expect(h.world.callsTo('arm', 'virtualMachineScaleSets.update')).toHaveLength(1);
  });
});
