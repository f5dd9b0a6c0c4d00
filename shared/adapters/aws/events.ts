/**
 * Events out: decisions published to an EventBridge bus with PutEvents, at most 10 entries a call. The SDK
 * retries a throttled or failed call; entries the service refused one by one (`FailedEntryCount > 0`) are
 * sent again when their error is worth retrying (`ThrottlingException`, `InternalFailure`), with backoff, up
 * to `maxAttempts`. Whatever still failed (an entry refused, or every entry of a call that failed whole) is
 * reported in one `PartialPublishError` naming each refused entry by position, after every batch was tried
 * (one bad entry or call does not hold back the others): the entries it does not name are on the bus. Of
 * those it names, the ones a call failed without the bus's answer (a timeout, a reset connection, or an
 * answer after the SDK had already sent the call once) are `unknown`: they may be on the bus.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { CloudError, PartialPublishError } from '../../domain/errors.ts';
import type { DecisionEvent, EventsPort } from '../../domain/ports.ts';
import { awsCall, kindOfAwsError } from './errors.ts';

/** PutEvents takes at most 10 entries. */
export const PUT_EVENTS_BATCH = 10;

const RETRYABLE_ENTRY_CODES = new Set(['ThrottlingException', 'InternalFailure', 'InternalException']);

export interface AwsEventsOptions {
  /** Bus name or ARN (default `default`). */
  eventBusName?: string;
  maxAttempts?: number;
  baseDelayMs?: number;
}

/** The event's time when it is a valid date; EventBridge stamps the arrival time otherwise. */
function timeOf(iso: string | undefined): Date | undefined {
  if (!iso) return undefined;
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

interface FailedEntry {
  index: number;
  detailType: string;
  code: string;
  message: string;
  /** Its call failed without a clear answer: it may be on the bus. */
  unknown?: boolean;
}

/** How many times the SDK sent the call that failed (its retries included). */
function sdkAttempts(e: CloudError): number {
  const meta = (e.cause as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata;
  return typeof meta?.attempts === 'number' ? meta.attempts : 1;
}

/**
 * A call the bus answered with an error, sent once: none of its entries were taken. Without an answer (no
 * HTTP status), or answered on a retry of a call sent before (whose first sending may have been taken), what
 * became of its entries is not known.
 */
function answeredRefusal(e: CloudError): boolean {
  return e.status !== undefined && sdkAttempts(e) <= 1;
}

/** Where PutEvents goes: `AwsClients`, or a fake in unit tests. */
export interface EventBridgeSource {
  events(): Pick<EventBridgeClient, 'send'>;
}

export class AwsEvents implements EventsPort {
  private readonly clients: EventBridgeSource;
  private readonly options: AwsEventsOptions;

  constructor(clients: EventBridgeSource, options: AwsEventsOptions = {}) {
    this.clients = clients;
    this.options = options;
  }

  async publish(events: DecisionEvent[]): Promise<void> {
    const operation = `publishing ${events.length} decision event(s) to eventbridge bus ${this.options.eventBusName ?? 'default'}`;
    const failed: FailedEntry[] = [];
    // A call that failed whole (after the SDK's retries) refuses its batch; the other batches are still sent.
    let callError: CloudError | undefined;
    for (let start = 0; start < events.length; start += PUT_EVENTS_BATCH) {
      const batch = events.slice(start, start + PUT_EVENTS_BATCH).map((e, i) => ({ index: start + i, event: e }));
      const out = await this.putBatch(batch, operation);
      failed.push(...out.failed);
      if (out.callError) callError ??= out.callError;
    }
    if (failed.length === 0) return;
    const kinds = failed.map((f) => kindOfAwsError(f.code, undefined));
    const kind = callError?.kind ?? kinds.find((k) => k !== 'throttled' && k !== 'transient') ?? kinds[0]!;
    throw new PartialPublishError({
      kind,
      cloud: 'aws',
      operation,
      code: callError?.code ?? failed[0]!.code,
      ...(callError?.status !== undefined ? { status: callError.status } : {}),
      ...(callError && callError.attempts > 1 ? { attempts: callError.attempts } : {}),
      message: `${failed.length} of ${events.length} entries failed: ${failed.map((f) => `#${f.index} ${f.detailType}: ${f.code} (${f.message})`).join('; ')}`,
      cause: callError ?? failed,
      refused: failed.map((f) => f.index),
      unknown: failed.filter((f) => f.unknown).map((f) => f.index),
      total: events.length,
    });
  }

  private entry(e: DecisionEvent): PutEventsRequestEntry {
    return {
      Source: e.source,
      DetailType: e.detailType,
      Detail: JSON.stringify(e.detail),
      Time: timeOf(e.time),
      EventBusName: this.options.eventBusName,
    };
  }

  /**
   * One batch, its entries refused for throttling sent again. A call that fails whole (after the SDK's
   * retries) fails the entries it carried only: those an earlier call of the batch put are on the bus.
   */
  private async putBatch(
    batch: Array<{ index: number; event: DecisionEvent }>,
    operation: string,
  ): Promise<{ failed: FailedEntry[]; callError?: CloudError }> {
    const maxAttempts = this.options.maxAttempts ?? 4;
    const baseDelayMs = this.options.baseDelayMs ?? 100;
    const failed: FailedEntry[] = [];
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const sent = pending;
      let out: PutEventsCommandOutput;
      try {
        out = await awsCall(
          operation,
          (): Promise<PutEventsCommandOutput> =>
            this.clients.events().send(new PutEventsCommand({ Entries: sent.map((p) => this.entry(p.event)) })),
        );
      } catch (e) {
        if (!(e instanceof CloudError)) throw e;
        const unknown = !answeredRefusal(e);
        failed.push(
          ...sent.map((p) => ({
            index: p.index,
            detailType: p.event.detailType,
            code: e.code ?? e.kind,
            message: e.message,
            ...(unknown ? { unknown } : {}),
          })),
        );
        return { failed, callError: e };
      }
      pending = [];
      sent.forEach((p, i) => {
        const result = out.Entries?.[i];
        if (!result?.ErrorCode) return;
        if (RETRYABLE_ENTRY_CODES.has(result.ErrorCode) && attempt < maxAttempts) pending.push(p);
        else
          failed.push({
            index: p.index,
            detailType: p.event.detailType,
            code: result.ErrorCode,
            message: result.ErrorMessage ?? '',
          });
      });
      if (pending.length > 0) await sleep(Math.floor(Math.random() * baseDelayMs * 2 ** (attempt - 1)));
    }
    return { failed };
  }
}
