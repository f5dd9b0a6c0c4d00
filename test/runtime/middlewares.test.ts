/** Each middleware on its own, over fakes: parse-and-reject, the error policy, idempotency's skips. */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { RetryableActionsError } from '../../shared/app/outcome.ts';
import { alarm } from '../../shared/app/triggers/alarm.ts';
import { ops } from '../../shared/app/triggers/ops.ts';
import { type ResolvedConfig, loadConfigFile } from '../../shared/config/load.ts';
import { CloudError } from '../../shared/domain/errors.ts';
import { errorPolicy, retriesCanFix } from '../../shared/runtime/middlewares/error-policy.ts';
import { idempotency } from '../../shared/runtime/middlewares/idempotency.ts';
import { normalizeEvent } from '../../events/index.ts';
import { parseAndReject } from '../../shared/runtime/middlewares/parse-and-reject.ts';
import type { AutoscalerRequest } from '../../shared/runtime/middlewares/request.ts';
import { LeaseBusyError, StaleStateError } from '../../shared/state/records.ts';
import { fakeDeps } from '../support/fakes.ts';

const T0 = new Date('2026-03-02T15:00:00Z');
let resolved: ResolvedConfig;
beforeAll(async () => {
  resolved = await loadConfigFile(fileURLToPath(new URL('../../config/demo.json', import.meta.url)));
});

const request = (event: unknown, f = fakeDeps(resolved, T0)): AutoscalerRequest =>
  ({
    event,
    context: {},
    response: undefined,
    error: undefined,
    internal: { deps: f.deps },
  }) as unknown as AutoscalerRequest;

const alarmEvent = {
  version: '0',
  id: 'a1b2c3d4-0000-4000-8000-000000000001',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: T0.toISOString(),
  region: 'us-east-1',
  resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:llm-demo-gpu-utilization-high'],
  detail: {
    alarmName: 'llm-demo-gpu-utilization-high',
    state: { value: 'ALARM', reason: 'above', timestamp: T0.toISOString() },
    previousState: { value: 'OK', reason: 'below', timestamp: T0.toISOString() },
    configuration: { metrics: [] },
  },
};

describe('parseAndReject', () => {
  const parse = parseAndReject({ trigger: alarm, normalize: normalizeEvent }).before!;
  it.each([
    { name: 'a malformed event is recorded and answered rejected', event: { ...alarmEvent, detail: { alarmName: 7 } } },
    {
      name: 'an event for another function is rejected',
      event: { command: 'status', actor: 'a', fleetId: 'llm-demo' },
    },
  ])('$name', async ({ event }) => {
    const f = fakeDeps(resolved, T0);
    const r = request(event, f);
    await parse(r);
    expect(r.internal.settled).toMatchObject({ status: 'rejected' });
    expect(r.internal.signal).toBeUndefined();
    expect(f.state.rejected).toHaveLength(1);
  });
  it('an accepted event becomes the signal (and the event the idempotency key is read from)', async () => {
    const r = request(alarmEvent);
    await parse(r);
    expect(r.internal.settled).toBeUndefined();
    expect(r.internal.signal).toMatchObject({ type: 'metric-alarm', eventId: alarmEvent.id });
    expect(r.event).toBe(r.internal.signal);
  });
});

describe('errorPolicy', () => {
  it.each([
    { name: 'a busy lease', error: new LeaseBusyError('f', 'o'), retryable: true },
    { name: 'a state saved by another', error: new StaleStateError('f', 1), retryable: true },
    {
      name: 'retryable actions',
      error: new RetryableActionsError('f', [{ action: 'set-desired', error: 'x', kind: 'throttled' }]),
      retryable: true,
    },
    {
      name: 'throttling',
      error: new CloudError({ kind: 'throttled', cloud: 'aws', operation: 'x', message: 'y' }),
      retryable: true,
    },
    {
      name: 'refused credentials',
      error: new CloudError({ kind: 'unauthorized', cloud: 'aws', operation: 'x', message: 'y' }),
      retryable: false,
    },
    { name: 'a bug', error: new TypeError('undefined is not a function'), retryable: false },
  ])('$name: retryable $retryable, rethrown either way', async ({ error, retryable }) => {
    expect(retriesCanFix(error)).toBe(retryable);
    const f = fakeDeps(resolved, T0);
    let counted = 0;
    f.deps.counters = { count: () => void counted++ };
    const r = { ...request({}, f), error } as AutoscalerRequest;
    await errorPolicy({ fn: 'alarm' }).onError!(r);
    expect(r.response).toBeUndefined();
    expect(counted).toBe(retryable ? 1 : 0);
  });
});

describe('idempotency', () => {
  it.each([
    { name: 'settled before any decision', internal: { settled: { status: 'no-op', reason: 'x' } }, trigger: alarm },
    {
      name: 'a read-only command',
      internal: { signal: { type: 'operator-command', command: 'status' } },
      trigger: ops,
    },
    { name: 'no table (fakes)', internal: { signal: { type: 'metric-alarm', eventId: 'e' } }, trigger: alarm },
  ])('skipped when $name', async ({ internal, trigger }) => {
    const mw = idempotency({ trigger: trigger as never });
    const r = request({});
    Object.assign(r.internal, internal);
    await expect(mw.before!(r)).resolves.toBeUndefined();
    await expect(mw.after!(r)).resolves.toBeUndefined();
  });
});
