/**
 * The receivers of cloud-level events, each a Lambda Function URL that authenticates in code (the senders,
 * Google and Azure, cannot sign AWS requests):
 *
 * - Pub/Sub push (`AUTOSCALER_PUBSUB_SERVICE_ACCOUNT` set): verifies the push's OIDC token (audience
 *   `<app>-<stage>-pubsub`, the configured service account) and forwards GCP preemption logs and Cloud
 *   Monitoring incidents;
 * - Event Grid (`AUTOSCALER_EVENTGRID_RECEIVER=true`): checks the
 *   delivery key (the SST secret `EventGridReceiverKey`, linked to this function only) and forwards Azure
 *   scheduled events and Monitor alerts.
 *
 * Each may put only its own sources on the bus and write only its own delivery claims in the table
 * (`dynamodb:LeadingKeys` = `receiver#<kind>`). docs/deploy.md and scripts/ say how to point GCP and Azure at
 * them.
 */
import { CLAIM_PREFIX } from '../shared/receivers/aws.ts';
import { RECEIVER_TIMEOUT_SECONDS } from '../shared/receivers/ports.ts';
import { RECEIVER_EVENT_SOURCES } from './ingress-policy.ts';
import type { DeploySettings } from './settings.ts';

export const EVENTGRID_KEY_SECRET = 'EventGridReceiverKey';

export interface Receiver {
  kind: 'pubsub' | 'eventgrid';
  fn: sst.aws.Function;
  sources: readonly string[];
}

export function pubsubAudience(): string {
  return `${$app.name}-${$app.stage}-pubsub`;
}

export function receivers(input: {
  settings: DeploySettings;
  table: aws.dynamodb.Table;
  bus: aws.cloudwatch.EventBus;
}): Receiver[] {
  const { settings, table, bus } = input;
  const out: Receiver[] = [];
  const common = (kind: Receiver['kind'], sources: readonly string[]) => ({
    runtime: 'nodejs24.x' as const,
    architecture: 'arm64' as const,
    memory: '512 MB' as const,
    // Verifying and forwarding take milliseconds; Pub/Sub and Event Grid wait 10 s and 30 s at most. A delivery
    // claim's lease ends with the invocation (shared/receivers/ports.ts).
    timeout: `${RECEIVER_TIMEOUT_SECONDS} seconds` as const,
    // A burst of deliveries (a mass preemption) is answered by a few containers; the senders retry 429s.
    concurrency: settings.reservedConcurrency ? { reserved: 5 } : undefined,
    url: true,
    nodejs: { format: 'esm' as const, minify: true },
    permissions: [
      {
        actions: ['events:PutEvents'],
        resources: [bus.arn],
        conditions: [{ test: 'StringEquals', variable: 'events:source', values: [...sources] }],
      },
      {
        // Claims: taken (put), marked delivered (update), read when taken (get), given back (delete).
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'],
        resources: [table.arn],
        conditions: [
          { test: 'ForAllValues:StringEquals', variable: 'dynamodb:LeadingKeys', values: [`${CLAIM_PREFIX}${kind}`] },
        ],
      },
    ],
  });

  if (settings.pubsub) {
    const fn = new sst.aws.Function('PubsubReceiver', {
      handler: 'functions/pubsub-receiver.handler',
      description: 'GCP Pub/Sub push: preemption logs and Monitoring incidents onto the autoscaler bus',
      ...common('pubsub', RECEIVER_EVENT_SOURCES.pubsub),
      environment: {
        EVENT_BUS_NAME: bus.name,
        TABLE_NAME: table.name,
        PUBSUB_AUDIENCE: pubsubAudience(),
        PUBSUB_SERVICE_ACCOUNT: settings.pubsub.serviceAccount,
        ...(settings.pubsub.subscription ? { PUBSUB_SUBSCRIPTION: settings.pubsub.subscription } : {}),
      },
    });
    out.push({ kind: 'pubsub', fn, sources: RECEIVER_EVENT_SOURCES.pubsub });
  }
  if (settings.eventGridReceiver) {
    const key = new sst.Secret(EVENTGRID_KEY_SECRET);
    const fn = new sst.aws.Function('EventgridReceiver', {
      handler: 'functions/eventgrid-receiver.handler',
      description: 'Azure Event Grid and Monitor alerts onto the autoscaler bus',
      ...common('eventgrid', RECEIVER_EVENT_SOURCES.eventgrid),
      environment: { EVENT_BUS_NAME: bus.name, TABLE_NAME: table.name },
      link: [key],
    });
    out.push({ kind: 'eventgrid', fn, sources: RECEIVER_EVENT_SOURCES.eventgrid });
  }
  return out;
}
