/**
 * What the application layer needs: configuration, state, the clouds (through their ports), the bus, the
 * metrics store and a clock. The Lambda runtime builds it from the environment; the local runtime and the
 * simulation build it against the emulators and dynalite.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ResolvedConfig } from '../config/load.ts';
import type { CapacityPort, ClusterPort, EventsPort, MetricsPort } from '../domain/ports.ts';
import type { Pool } from '../domain/types.ts';
import type { FleetStatePort } from '../state/records.ts';
import type { PendingDrain } from './drains.ts';

export interface Clouds {
  /** The capacity adapter for a pool (by its cloud, or its cluster for Kubernetes kinds). */
  capacityFor(pool: Pool): CapacityPort | undefined;
  /** The Kubernetes cluster by name (`Pool.tags.cluster`, `deployment.cluster`). */
  cluster(name: string): ClusterPort | undefined;
}

export interface AppLogger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Counters the runtime turns into CloudWatch EMF metrics (or ignores locally). */
export interface AppMetrics {
  count(
    name: 'Decisions' | 'Actions' | 'ActionFailures' | 'Rejected' | 'NoOps' | 'Retries' | 'MetricsFallback',
    value?: number,
  ): void;
}

export interface AppDeps {
  resolved: ResolvedConfig;
  store: FleetStatePort;
  /**
   * The DynamoDB table the Powertools idempotency records go to (the state table, sort-key mode); without it
   * (the fakes) events are not deduplicated.
   */
  idempotency?: { tableName: string; client: DynamoDBClient };
  clouds: Clouds;
  events: EventsPort;
  metrics?: MetricsPort;
  clock: () => Date;
  logger: AppLogger;
  counters?: AppMetrics;
  /** How long a fleet lease lasts (ms); longer than the slowest decision (the spot drain). */
  leaseTtlMs?: number;
  /** How long to wait for a busy fleet lease before giving up (and letting Lambda retry), ms. */
  leaseWaitMs?: number;
  /** The latest time this invocation may work until (Lambda's deadline), ms since epoch of `clock`. */
  deadline?: () => number | undefined;
  /**
   * Resolves once `clock` reads `at` (ms): how a drain waits for its latest safe start (execute.ts
   * `drainStart`), the node serving until then. Lambda: a timer. The simulation: when its clock gets there.
   * Without it (the tests' fakes, whose clocks stand still) drains start at once.
   */
  waitUntil?: (at: number) => Promise<void>;
  /**
   * Told that the invocation has nothing left to do but wait for these drains (execute.ts `drainsOver`): the
   * simulation resumes its clock there.
   */
  parked?: (drains: readonly PendingDrain[]) => void;
  /**
   * A drain function receives the bus's `Drain Requested` events (`handoff.ts`; deployed with the stack, and
   * in the local stack when it delivers them): a decision on a notice cordons the node, records, and hands the
   * drain and the removal after it to that function. Without it the decision drains and removes itself.
   */
  drainStep?: boolean;
  /**
   * Longest time between two decisions of a fleet (the forecast schedule's period, seconds): the engine's
   * lead time is the time to ready plus this. Undefined: the engine's default.
   */
  decisionIntervalSeconds?: number;
  newId?: () => string;
}

export const silentLogger: AppLogger = { debug() {}, info() {}, warn() {}, error() {} };
