/**
 * The AWS adapter: the only place that imports the AWS SDK. `createAwsAdapters` builds the capacity port
 * (EC2 Fleets, Auto Scaling groups, EKS node groups, reservations, spot prices) and the events port
 * (EventBridge) from configuration; SDK clients are created on first use.
 *
 * Production: `createAwsAdapters({ region })` (endpoints and credentials from the SDK's default chain).
 * Locally: `createAwsAdapters({ region, endpoints: emulator.endpoints, credentials, retry, poll })`.
 */
import type { CapacityPort, EventsPort } from '../../domain/ports.ts';
import { AwsCapacity } from './capacity.ts';
import { type AwsClientOptions, AwsClients } from './clients.ts';
import type { PollOptions } from './eks.ts';
import { AwsEvents } from './events.ts';

export { AwsCapacity } from './capacity.ts';
export { type AwsClientOptions, AwsClients, type AwsCredentials, type AwsEndpoints } from './clients.ts';
export type { PollOptions } from './eks.ts';
export { AwsEvents, PUT_EVENTS_BATCH } from './events.ts';
export { awsErrorCode, kindOfAwsError, toCloudError } from './errors.ts';
export { BackoffRetryStrategy, type RetryOptions } from './retry.ts';

export interface AwsAdapterOptions extends AwsClientOptions {
  poll?: PollOptions;
  /** EventBridge bus for decision events (default `default`). */
  eventBusName?: string;
  /** The adapter's clock (observation times, spot price history start); real time by default. */
  clock?: () => Date;
}

export interface AwsAdapters {
  capacity: CapacityPort;
  events: EventsPort;
  /** Closes the SDK clients' connections (tests, short-lived tools). */
  close(): void;
}

export function createAwsAdapters(options: AwsAdapterOptions): AwsAdapters {
  const clients = new AwsClients(options);
  return {
    capacity: new AwsCapacity(clients, { poll: options.poll, clock: options.clock }),
    events: new AwsEvents(clients, {
      eventBusName: options.eventBusName,
      maxAttempts: options.retry?.maxAttempts,
      baseDelayMs: options.retry?.baseDelayMs,
    }),
    close: () => clients.destroy(),
  };
}
