/**
 * Notices out: `PutEvents` on the autoscaler's bus, 10 entries a call at most. Each entry is checked first
 * against the schema the functions will parse it with (events/registry.ts): a notice the functions would
 * reject is logged here, on the node, rather than recorded as rejected there. Entries the service refused
 * (a `FailedEntryCount`) and calls that failed are returned, and the agent puts them again on its next poll.
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { findEventBridgeDecoder } from '../events/registry.ts';
import { ParseError } from '../shared/domain/errors.ts';
import type { Notice } from './notice.ts';

const BATCH = 10;

export interface PublishResult {
  sent: Notice[];
  failed: Array<{ notice: Notice; error: string }>;
  /** Notices the functions' schema would refuse: never sent (a bug in the agent or a metadata change). */
  invalid: Array<{ notice: Notice; error: string }>;
}

export interface PublisherOptions {
  client: Pick<EventBridgeClient, 'send'>;
  /** The bus name, or its ARN when it is in another account or region. */
  busName: string;
  now?: () => Date;
}

/** The envelope EventBridge will deliver, as the functions' schema sees it (placeholder ids and account). */
function envelopeOf(n: Notice, time: Date) {
  return {
    version: '0',
    id: '00000000-0000-4000-8000-000000000000',
    'detail-type': n.detailType,
    source: n.source,
    account: '000000000000',
    time: time.toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: n.detail,
  };
}

/** Why the functions would refuse this notice, or undefined when they would parse it. */
export function schemaError(n: Notice, time: Date): string | undefined {
  const decoder = findEventBridgeDecoder(n.source, n.detailType);
  if (!decoder) return `no schema for ${n.source} / ${n.detailType}`;
  const r = decoder.schema.safeParse(envelopeOf(n, time));
  if (r.success) return undefined;
  const issue = r.error.issues[0]!;
  return new ParseError(`${n.source} / ${n.detailType}`, issue.path.join('.'), issue.message).message;
}

export class BusPublisher {
  private readonly client: Pick<EventBridgeClient, 'send'>;
  private readonly busName: string;
  private readonly now: () => Date;

  constructor(options: PublisherOptions) {
    this.client = options.client;
    this.busName = options.busName;
    this.now = options.now ?? (() => new Date());
  }

  async publish(notices: Notice[]): Promise<PublishResult> {
    const out: PublishResult = { sent: [], failed: [], invalid: [] };
    const time = this.now();
    const valid: Notice[] = [];
    for (const n of notices) {
      const error = schemaError(n, time);
      if (error) out.invalid.push({ notice: n, error });
      else valid.push(n);
    }
    for (let i = 0; i < valid.length; i += BATCH) {
      const batch = valid.slice(i, i + BATCH);
      try {
        const r = await this.client.send(
          new PutEventsCommand({
            Entries: batch.map((n) => ({
              EventBusName: this.busName,
              Source: n.source,
              DetailType: n.detailType,
              Detail: JSON.stringify(n.detail),
              Time: time,
            })),
          }),
        );
        batch.forEach((n, j) => {
          const e = r.Entries?.[j];
          if (e?.EventId) out.sent.push(n);
          else out.failed.push({ notice: n, error: `${e?.ErrorCode ?? 'NoEntry'}: ${e?.ErrorMessage ?? ''}` });
        });
      } catch (e) {
        const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        for (const n of batch) out.failed.push({ notice: n, error });
      }
    }
    return out;
  }
}
