/**
 * The receivers as Lambda Function URL handlers. Everything a delivery needs is built at init (cold start):
 * the SDK clients, the OIDC verifier, the Event Grid key read from its SST secret; a delivery then only
 * verifies and forwards. Environment: `EVENT_BUS_NAME`, `TABLE_NAME`; Pub/Sub: `PUBSUB_AUDIENCE`,
 * `PUBSUB_SERVICE_ACCOUNT`, optionally `PUBSUB_SUBSCRIPTION`; Event Grid: the linked secret
 * `EventGridReceiverKey`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { OAuth2Client } from 'google-auth-library';
import { ConfigError, messageOf } from '../domain/errors.ts';
import { awsReceiverPorts } from './aws.ts';
import { receiveEventGrid } from './eventgrid.ts';
import { fromFunctionUrl, type HttpRequest, type HttpResponse, json, toFunctionUrl } from './http.ts';
import type { ReceiverPorts } from './ports.ts';
import { type PubSubReceiverConfig, receivePubSubPush } from './pubsub.ts';

/** The SST secret holding the Event Grid receiver's key. */
export const EVENTGRID_KEY_SECRET = 'EventGridReceiverKey';

type Env = Record<string, string | undefined>;

function required(env: Env, name: string, what: string): string {
  const v = env[name]?.trim();
  if (!v) throw new ConfigError('environment', name, `${what} is not set`);
  return v;
}

export function portsFromEnv(env: Env): ReceiverPorts {
  const region = env.AWS_REGION ?? 'us-east-1';
  return awsReceiverPorts({
    events: new EventBridgeClient({ region }),
    busName: required(env, 'EVENT_BUS_NAME', 'the autoscaler bus'),
    dynamo: new DynamoDBClient({ region }),
    tableName: required(env, 'TABLE_NAME', 'the state table (delivery claims)'),
  });
}

export function pubsubConfigFromEnv(env: Env): PubSubReceiverConfig {
  return {
    audience: required(env, 'PUBSUB_AUDIENCE', 'the push tokens audience'),
    serviceAccountEmail: required(env, 'PUBSUB_SERVICE_ACCOUNT', 'the push subscription service account'),
    ...(env.PUBSUB_SUBSCRIPTION?.trim() ? { subscription: env.PUBSUB_SUBSCRIPTION.trim() } : {}),
  };
}

/** The linked SST secret's value (SST decrypts linked secrets at init). */
async function sstSecret(name: string): Promise<string> {
  const { Resource } = await import('sst/resource');
  const value = (Resource as unknown as Record<string, { value?: unknown } | undefined>)[name]?.value;
  if (typeof value !== 'string' || value.length < 32) {
    throw new ConfigError('secret', name, 'the Event Grid receiver key is not linked, or shorter than 32 characters');
  }
  return value;
}

/**
 * How the Pub/Sub receiver fetches Google's certificates: 3 s per attempt and one retry (gaxios's default is
 * no timeout and 3 retries with backoff). Pub/Sub waits for a push answer as long as the subscription's ack
 * deadline, 10 s by default (`ackDeadlineSeconds`,
 * https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions): a fetch that fails is
 * answered 503 within about 6 s, before Pub/Sub gives up on the request, and Pub/Sub redelivers.
 */
export const CERTS_FETCH = { timeout: 3000, retryConfig: { retry: 1, noResponseRetries: 1 } } as const;

/** A Function URL handler around a receiver; an unexpected error is a 500 (the sender retries). */
function urlHandler(receive: (req: HttpRequest) => Promise<HttpResponse>, ports: () => ReceiverPorts) {
  return async (
    event: APIGatewayProxyEventV2,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      return toFunctionUrl(await receive(fromFunctionUrl(event, context)));
    } catch (e) {
      ports().log('warn', 'receiver failed', { error: messageOf(e) });
      return toFunctionUrl(json(500, { error: 'internal error; retry' }));
    }
  };
}

export function pubsubReceiverHandler(options: { env?: Env; ports?: ReceiverPorts; verifier?: OAuth2Client } = {}) {
  const env = options.env ?? process.env;
  const config = pubsubConfigFromEnv(env);
  const ports = options.ports ?? portsFromEnv(env);
  // One client per container: it caches Google's certificates as long as their Cache-Control says.
  const verifier = options.verifier ?? new OAuth2Client({ transporterOptions: { ...CERTS_FETCH } });
  return urlHandler(
    (req) => receivePubSubPush(req, config, verifier, ports),
    () => ports,
  );
}

export async function eventGridReceiverHandler(options: { env?: Env; ports?: ReceiverPorts; key?: string } = {}) {
  const env = options.env ?? process.env;
  const ports = options.ports ?? portsFromEnv(env);
  const key = options.key ?? (await sstSecret(EVENTGRID_KEY_SECRET));
  return urlHandler(
    (req) => receiveEventGrid(req, key, ports),
    () => ports,
  );
}
