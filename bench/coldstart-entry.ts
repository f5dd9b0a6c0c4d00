/**
 * What bench/coldstart.ts bundles and imports in a fresh process: the spot-interruption function as
 * `functions/spot-interruption.ts` builds it (shared/runtime/handler.ts: middy, Powertools idempotency, the
 * event schemas, the engine, the lazily loaded adapters of shared/runtime/clouds.ts, `warm()` for init), with
 * one difference: its dependencies point at the local stack's emulators and dynalite on 127.0.0.1 (given as
 * JSON in `COLDSTART_TARGETS`, with fake credentials), where the deployed function's come from its
 * environment (shared/runtime/production.ts). Nothing of the local tooling is bundled.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { silentLogger } from '../shared/app/deps.ts';
import type { AppDeps } from '../shared/app/deps.ts';
import { loadConfigFile } from '../shared/config/load.ts';
import { createClouds } from '../shared/runtime/clouds.ts';
import { localContext } from '../shared/runtime/handler.ts';
import { StateStore } from '../shared/state/store.ts';
import { localHandler } from '../local/handler.ts';

/** Where the local stack listens, and the simulated time; JSON-serializable (it crosses a process boundary). */
export interface ColdstartTargets {
  configFile: string;
  /** The world's time (ms): the function's clock stands at it, as in the tests' harness. */
  now: number;
  region: string;
  eventBusName: string;
  aws: { ec2: string; autoscaling: string; eks: string; events: string; cloudwatch: string };
  azure: { endpoint: string; ca: string; subscriptionId: string };
  gcp: { endpoint: string; project: string };
  kubeconfigs: Record<string, string>;
  dynamo: { endpoint: string; tableName: string };
}

const FAKE = { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake-secret-for-the-emulator' };

/** The dependencies: the same clients the deployed function builds, aimed at the emulators. */
async function depsFor(t: ColdstartTargets): Promise<AppDeps> {
  const resolved = await loadConfigFile(t.configFile);
  const clock = () => new Date(t.now);
  // The local stack's short retries and polls (local/stack.ts `fast`): the emulators answer at once.
  const poll = { intervalMs: 10, timeoutMs: 10_000 };
  const clouds = createClouds({
    aws: {
      region: t.region,
      endpoints: t.aws,
      credentials: FAKE,
      retry: { maxAttempts: 4, baseDelayMs: 5 },
      poll,
      eventBusName: t.eventBusName,
      clock,
    },
    azure: {
      subscriptionId: t.azure.subscriptionId,
      endpoint: t.azure.endpoint,
      ca: t.azure.ca,
      credential: { getToken: async () => ({ token: 'fake-azure-token', expiresOnTimestamp: Date.now() + 3600_000 }) },
      retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 50 },
      poll,
      now: clock,
    },
    gcp: {
      project: t.gcp.project,
      endpoint: t.gcp.endpoint,
      authClient: { getRequestHeaders: async () => ({ authorization: 'Bearer fake-gcp-token' }) },
      retry: { maxAttempts: 4, baseDelayMs: 5 },
      poll,
      clock: () => t.now,
    },
    kubernetes: Object.fromEntries(
      Object.entries(t.kubeconfigs).map(([name, kubeconfig]) => [
        name,
        { kubeconfig, retry: { baseDelayMs: 5 }, poll: { intervalMs: 20 }, clock },
      ]),
    ),
  });
  return {
    resolved,
    store: new StateStore({
      client: new DynamoDBClient({ region: t.region, endpoint: t.dynamo.endpoint, credentials: FAKE }),
      tableName: t.dynamo.tableName,
      auditTtlDays: resolved.config.audit.ttlDays,
    }),
    clouds,
    events: clouds.events!,
    clock,
    logger: silentLogger,
    leaseWaitMs: 10_000,
    newId: randomUUID,
  };
}

/** The spot-interruption handler over the targets in `COLDSTART_TARGETS` (built on first use or by `warm()`). */
export function spotInterruptionHandler() {
  const raw = process.env.COLDSTART_TARGETS;
  if (!raw) throw new Error('COLDSTART_TARGETS is not set (bench/coldstart.ts sets it)');
  const targets = JSON.parse(raw) as ColdstartTargets;
  return localHandler({ trigger: 'spot-interruption', deps: () => depsFor(targets) });
}

export { localContext };
