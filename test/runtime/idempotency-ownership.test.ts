/**
 * The idempotency middleware over a real DynamoDB (dynalite on 127.0.0.1): a delivery refused because its
 * twin is in progress must leave the twin's record alone, so that once the twin has answered, every later
 * copy gets that answer instead of deciding again. The interleaving is the one seen in the chaos benchmark's
 * redelivery scenario (copies delivered at once): the twin saves its answer, then the refused copy's error
 * phase runs.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynalite.ts';
import { alarm } from '../../shared/app/triggers/alarm.ts';
import { type ResolvedConfig, loadConfigFile } from '../../shared/config/load.ts';
import { idempotency } from '../../shared/runtime/middlewares/idempotency.ts';
import type { AutoscalerRequest } from '../../shared/runtime/middlewares/request.ts';
import { fakeDeps } from '../support/fakes.ts';

const T0 = new Date('2026-03-02T15:00:00Z');
let resolved: ResolvedConfig;
let dynamo: LocalDynamo;
beforeAll(async () => {
  resolved = await loadConfigFile(fileURLToPath(new URL('../../config/demo.json', import.meta.url)));
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

const signal = (eventId: string) => ({ type: 'metric-alarm', eventId, fleetId: 'llm-demo', source: 'aws.cloudwatch' });

/** One delivery as middy runs it: the request's event is the parsed signal. */
function delivery(eventId: string): AutoscalerRequest {
  const f = fakeDeps(resolved, T0);
  const deps = { ...f.deps, idempotency: { tableName: dynamo.tableName, client: dynamo.client } };
  const s = signal(eventId);
  return {
    event: s,
    context: { getRemainingTimeInMillis: () => 60_000 },
    response: undefined,
    error: undefined,
    internal: { deps, signal: s },
  } as unknown as AutoscalerRequest;
}

describe('idempotency: only the delivery that acquired the record deletes it', () => {
  it('a duplicate refused while its twin runs, erroring after the twin answered, leaves the answer for later copies', async () => {
    const id = crypto.randomUUID();
    // Each delivery in a container of its own: its own middleware instance.
    const [first, dup, later] = [0, 1, 2].map(() => idempotency({ trigger: alarm }));
    const a = delivery(id);
    await expect(first!.before!(a)).resolves.toBeUndefined();
    const b = delivery(id);
    await expect(dup!.before!(b)).rejects.toMatchObject({ name: 'IdempotencyAlreadyInProgressError' });
    // The twin answers and saves its answer ...
    a.response = { status: 'decided', decisions: [] } as never;
    await first!.after!(a);
    // ... then the refused copy's error phase runs (middy calls every onError when a before throws).
    b.error = new Error('refused');
    await dup!.onError!(b);
    // A later copy gets the stored answer: it does not decide again.
    const c = delivery(id);
    await expect(later!.before!(c)).resolves.toEqual({ status: 'decided', decisions: [] });
  });

  it('the delivery that acquired the record and failed deletes it, so a retry can decide', async () => {
    const id = crypto.randomUUID();
    const [first, retry] = [0, 1].map(() => idempotency({ trigger: alarm }));
    const a = delivery(id);
    await first!.before!(a);
    a.error = new Error('cloud down');
    await first!.onError!(a);
    const b = delivery(id);
    await expect(retry!.before!(b)).resolves.toBeUndefined();
  });
});
