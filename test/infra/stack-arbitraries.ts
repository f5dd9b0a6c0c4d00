/**
 * Random deploy settings for the stack's property tests (test/infra/stack.property.test.ts): the
 * `AUTOSCALER_*` environment `sst deploy` reads (stacks/settings.ts), valid and invalid, and configuration
 * variants built from the infra test configuration (support/config.ts): 1-3 fleets, each with a non-empty
 * subset of its pool kinds, any subset of its alarms and windows, the warm containers and fleet
 * concurrency of `lambda`, and the event source.
 */
import fc from 'fast-check';
import type { ConfigInput } from '../../shared/config/schema.ts';
import { INFRA_CONFIG } from './support/config.ts';

export type Env = Record<string, string>;

const ACCOUNT = '123456789012';

/** Valid values of each variable; `undefined` leaves it unset. */
export const validEnv: fc.Arbitrary<Env> = fc
  .record({
    AUTOSCALER_FORECAST_SCHEDULE: fc.option(
      fc.oneof(
        fc.constant('off'),
        fc.integer({ min: 1, max: 60 }).map((n) => `rate(${n} minutes)`),
        fc.constantFrom('rate(1 hour)', 'cron(0/10 * * * ? *)', ' rate(15 minutes) '),
      ),
      { nil: undefined },
    ),
    AUTOSCALER_RESERVED_CONCURRENCY: fc.option(fc.constantFrom('true', 'false', 'TRUE', ' False '), {
      nil: undefined,
    }),
    AUTOSCALER_OPS_PRINCIPALS: fc.option(
      fc
        .subarray([
          `arn:aws:iam::${ACCOUNT}:role/oncall`,
          `arn:aws:iam::${ACCOUNT}:user/ci`,
          `arn:aws:iam::${ACCOUNT}:root`,
        ])
        .map((xs) => xs.join(',')),
      { nil: undefined },
    ),
    AUTOSCALER_ALERT_EMAIL: fc.option(fc.constantFrom('oncall@example.com', ' ops@example.org '), { nil: undefined }),
    AUTOSCALER_AGENT_OIDC_ISSUERS: fc.option(
      fc
        .subarray([
          'https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
          'https://container.googleapis.com/v1/projects/p/locations/l/clusters/c',
          'https://eastus.oic.prod-aks.azure.com/tenant/issuer/',
        ])
        .map((xs) => xs.join(',')),
      { nil: undefined },
    ),
    pubsub: fc.option(
      fc.record({
        AUTOSCALER_PUBSUB_SERVICE_ACCOUNT: fc.constantFrom(
          'pubsub-push@my-project.iam.gserviceaccount.com',
          'sa@p-1.iam.gserviceaccount.com',
        ),
        AUTOSCALER_PUBSUB_SUBSCRIPTION: fc.option(fc.constant('projects/my-project/subscriptions/preemptions'), {
          nil: undefined,
        }),
      }),
      { nil: undefined },
    ),
    AUTOSCALER_EVENTGRID_RECEIVER: fc.option(fc.constantFrom('true', 'false', '', 'TRUE'), { nil: undefined }),
  })
  .map(({ pubsub, ...rest }) => {
    const env: Env = {};
    for (const [k, v] of Object.entries({ ...rest, ...pubsub })) if (v !== undefined) env[k] = v;
    return env;
  });

/** What the settings should say, read from the environment independently of stacks/settings.ts. */
export function expectedSettings(env: Env) {
  const schedule = (env.AUTOSCALER_FORECAST_SCHEDULE ?? 'rate(5 minutes)').trim();
  return {
    forecast: schedule === 'off' ? undefined : schedule,
    reserved: (env.AUTOSCALER_RESERVED_CONCURRENCY ?? 'true').trim().toLowerCase() === 'true',
    pubsub: !!env.AUTOSCALER_PUBSUB_SERVICE_ACCOUNT,
    eventgrid: (env.AUTOSCALER_EVENTGRID_RECEIVER ?? '').trim().toLowerCase() === 'true',
  };
}

/** An invalid value of one variable (the others valid), and the variable the error must name. */
export const invalidEnv: fc.Arbitrary<{ env: Env; variable: string }> = fc.oneof(
  fc
    .constantFrom('every 5 minutes', 'rate(5 weeks)', 'rate(minutes)', 'cron()', 'on', 'rate(5 minutes) x')
    .map((v) => ({ env: { AUTOSCALER_FORECAST_SCHEDULE: v }, variable: 'AUTOSCALER_FORECAST_SCHEDULE' })),
  fc
    .constantFrom('arn:aws:iam::123:role/x', 'oncall', 'arn:aws:s3:::bucket', `arn:aws:iam::${ACCOUNT}:group/g`)
    .map((v) => ({ env: { AUTOSCALER_OPS_PRINCIPALS: v }, variable: 'AUTOSCALER_OPS_PRINCIPALS' })),
  fc
    .constantFrom('oncall', 'a@b', 'a b@c.d', '@example.com')
    .map((v) => ({ env: { AUTOSCALER_ALERT_EMAIL: v }, variable: 'AUTOSCALER_ALERT_EMAIL' })),
  fc
    .constantFrom('yes', '1', 'no', 'off', 'maybe')
    .map((v) => ({ env: { AUTOSCALER_RESERVED_CONCURRENCY: v }, variable: 'AUTOSCALER_RESERVED_CONCURRENCY' })),
  fc
    .constantFrom('http://issuer.example.com', 'issuer.example.com', 'https://', 'https://a b.com')
    .map((v) => ({ env: { AUTOSCALER_AGENT_OIDC_ISSUERS: v }, variable: 'AUTOSCALER_AGENT_OIDC_ISSUERS' })),
  fc
    .constantFrom('sa@gmail.com', 'pubsub', 'SA@p.iam.gserviceaccount.com')
    .map((v) => ({ env: { AUTOSCALER_PUBSUB_SERVICE_ACCOUNT: v }, variable: 'AUTOSCALER_PUBSUB_SERVICE_ACCOUNT' })),
  fc.constantFrom('projects/p/subscriptions/s', 'subscriptions/x', 'projects/my-project/topics/t').map((v) => ({
    env: { AUTOSCALER_PUBSUB_SERVICE_ACCOUNT: 'sa@p-1.iam.gserviceaccount.com', AUTOSCALER_PUBSUB_SUBSCRIPTION: v },
    variable: 'AUTOSCALER_PUBSUB_SUBSCRIPTION',
  })),
  // A subscription without the service account.
  fc.constant({
    env: { AUTOSCALER_PUBSUB_SUBSCRIPTION: 'projects/my-project/subscriptions/preemptions' },
    variable: 'AUTOSCALER_PUBSUB_SUBSCRIPTION',
  }),
  fc
    .constantFrom('yes', '1', 'on', 'enabled')
    .map((v) => ({ env: { AUTOSCALER_EVENTGRID_RECEIVER: v }, variable: 'AUTOSCALER_EVENTGRID_RECEIVER' })),
);

const TEMPLATE_POOLS = INFRA_CONFIG.fleets[0]!.pools;

/** A configuration variant; `maxProvisioned` bounds the spot function's warm containers. */
export function configArb(maxProvisioned = 10): fc.Arbitrary<ConfigInput> {
  const fleetArb = (i: number) =>
    fc.subarray([...TEMPLATE_POOLS.keys()], { minLength: 1 }).map((idx) => ({
      id: `fleet-${i}`,
      pools: idx.map((k) => {
        const p = TEMPLATE_POOLS[k]!;
        // Ids and resources are unique across fleets.
        const resource =
          p.kind === 'ec2-fleet' ? `fleet-0123abcd-0000-4000-8000-00000000000${i}` : `${p.resource}-${i}`;
        return { ...p, id: `${p.id}-${i}`, resource };
      }),
    }));
  return fc
    .record({
      fleets: fc
        .integer({ min: 1, max: 3 })
        .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => fleetArb(i)))),
      alarms: fc.subarray(['queue-depth-high', 'gpu-*']),
      windows: fc.subarray([0, 1]),
      provisioned: fc.integer({ min: 0, max: maxProvisioned }),
      fleetConcurrency: fc.integer({ min: 2, max: 20 }),
      source: fc.constantFrom('gpu-autoscaler', 'gpu-autoscaler.test', 'acme.scaler'),
    })
    .chain(({ fleets, alarms, windows, provisioned, fleetConcurrency, source }) =>
      fc
        .record({
          alarmFleets: fc.tuple(...alarms.map(() => fc.constantFrom(...fleets.map((f) => f.id)))),
          windowFleets: fc.tuple(
            ...windows.map(() =>
              fc.subarray(
                fleets.map((f) => f.id),
                { minLength: 1 },
              ),
            ),
          ),
        })
        .map(({ alarmFleets, windowFleets }) => ({
          ...INFRA_CONFIG,
          fleets,
          alarms: alarms.map((a, i) => ({ alarm: `${alarmFleets[i]}-${a}`, fleetId: alarmFleets[i]! })),
          schedules: windows.map((w, i) => ({ ...INFRA_CONFIG.schedules![w]!, fleets: windowFleets[i]! })),
          events: { source },
          lambda: { interruptionProvisionedConcurrency: provisioned, fleetConcurrency },
        })),
    );
}
