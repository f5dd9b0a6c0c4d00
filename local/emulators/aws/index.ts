/**
 * The AWS emulator: one HTTP server on 127.0.0.1 that the real SDK clients (EC2, Auto Scaling, EKS,
 * EventBridge, CloudWatch) talk to, serving the simulated world in each service's own protocol (CloudWatch
 * serves GetMetricData from a metrics store, see cloudwatch.ts; its scope service is `monitoring`, its
 * recorded and fault service name `cloudwatch`).
 *
 * Requests are routed by the service in the SigV4 credential scope (`.../us-east-1/ec2/aws4_request`), which
 * every signed SDK request carries; the region in the scope selects the world's pools of that region. The
 * signature itself is not checked (credentials are fake), but an unsigned request is refused as AWS refuses
 * it. Every request is recorded (`world.record(service, operation, params)`), then any fault armed for it
 * (`world.faults.take(service, operation)`) is rendered in the service's real error shape:
 *
 * | fault          | ec2                          | autoscaling                  | eks                          | events                         |
 * |----------------|------------------------------|------------------------------|------------------------------|--------------------------------|
 * | throttle       | 503 RequestLimitExceeded     | 400 Throttling               | 429 ThrottlingException      | 400 ThrottlingException        |
 * | server-error   | 500 InternalError            | 500 InternalFailure          | 500 ServerException          | 500 InternalException          |
 * | conflict       | 400 IncorrectState           | 400 ScalingActivityInProgress| 409 ResourceInUseException   | 400 ConcurrentModificationException |
 * | unauthorized   | 403 UnauthorizedOperation    | 403 AccessDenied             | 403 AccessDeniedException    | 400 AccessDeniedException      |
 * | timeout        | the connection hangs `delayMs`, then is dropped without an answer (`served`: after the request was served)     |
 *
 * CloudWatch: throttle 400 Throttling, server-error 500 InternalServiceError, unauthorized 403 AccessDenied
 * (JSON with `x-amzn-query-error`); timeout as above; the other kinds have no effect on a read.
 *
 * `insufficient-capacity` and `operation-failed` are rendered by the operation itself, the way the service
 * fails: EC2 ModifyFleet answers `InsufficientInstanceCapacity` (500); Auto Scaling SetDesiredCapacity is
 * accepted and its launches fail (a failed scaling activity); an EKS config update ends `Failed` (or succeeds
 * with launches failing). On an operation that cannot fail that way the fault is taken and has no effect.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Fault } from '../faults.ts';
import type { World } from '../world.ts';
import { AUTOSCALING_ACTIONS } from './autoscaling.ts';
import {
  CLOUDWATCH_CONTENT_TYPE,
  CLOUDWATCH_TARGET_PREFIX,
  type CloudWatchEmulatorOptions,
  cloudWatchError,
  handleCloudWatch,
} from './cloudwatch.ts';
import {
  AwsApiError,
  type AwsEmulatorState,
  type FleetType,
  type ReceivedEvent,
  type RefuseEvent,
  type RequestContext,
  type ResolvedAwsEmulatorOptions,
} from './context.ts';
import { EC2_ACTIONS } from './ec2.ts';
import { eksRoute, handleEks } from './eks.ts';
import { putEvents } from './events.ts';
import { credentialScope, escapeXml, parseForm, type QueryParams, xmlDocument } from './wire.ts';
import { type RequestTap, tapServer } from '../tap.ts';

export type { CloudWatchEmulatorOptions, CloudWatchMetricMapping } from './cloudwatch.ts';
export type { FleetType, ReceivedEvent, RefuseEvent } from './context.ts';

export interface AwsEmulatorOptions {
  /** Account id in ARNs and events (default `123456789012`). */
  accountId?: string;
  /** Caps the size of every page, so tests can exercise paging with a few resources (default: each API's own). */
  pageSize?: number;
  /** DescribeUpdate answers that still say `InProgress` before an EKS update ends (default 1). */
  eksUpdatePolls?: number;
  /** World seconds after which an EKS update ends even if nobody polls it (default 30). */
  eksUpdateSeconds?: number;
  /** EC2 Fleet type by fleet id (default `maintain`; ModifyFleet refuses the others). */
  fleetTypes?: Record<string, FleetType>;
  /** Kubernetes version EKS node groups report (default `1.31`). */
  kubernetesVersion?: string;
  /** The metrics store CloudWatch GetMetricData reads, and its mapping (without it, every read is empty). */
  cloudwatch?: CloudWatchEmulatorOptions;
  /** Latency added to every request and a report of each (benchmarks); none by default. */
  tap?: RequestTap;
  /** Told of each event PutEvents accepts, as a rule's target would be (the local stack's drain deliveries). */
  onEvent?: (event: ReceivedEvent) => void;
}

export interface AwsEmulator {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  /** The same URL per SDK client, ready for the adapter's `endpoints` option. */
  endpoints: { ec2: string; autoscaling: string; eks: string; events: string; cloudwatch: string };
  /** What PutEvents received, in order, as EventBridge would deliver it to a rule's target. */
  events: {
    received: ReceivedEvent[];
    /** Has PutEvents refuse the valid entries this names (undefined: accept every valid entry again). */
    refuse(refuse: RefuseEvent | undefined): void;
  };
  /** Stops the server and drops open connections; safe to call twice. */
  close(): Promise<void>;
}

const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const AUTOSCALING_NS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

type Service = 'ec2' | 'autoscaling' | 'eks' | 'events' | 'cloudwatch';

const FAULTS: Record<Service, Partial<Record<Fault['kind'], [number, string, string]>>> = {
  ec2: {
    throttle: [503, 'RequestLimitExceeded', 'Request limit exceeded.'],
    'server-error': [500, 'InternalError', 'An internal error has occurred.'],
    conflict: [400, 'IncorrectState', 'The resource is in an incorrect state for the request.'],
    unauthorized: [403, 'UnauthorizedOperation', 'You are not authorized to perform this operation.'],
  },
  autoscaling: {
    throttle: [400, 'Throttling', 'Rate exceeded'],
    'server-error': [500, 'InternalFailure', 'An internal error occurred.'],
    conflict: [400, 'ScalingActivityInProgress', 'Scaling activity is in progress and blocks this action.'],
    unauthorized: [403, 'AccessDenied', 'User is not authorized to perform this action.'],
  },
  eks: {
    throttle: [429, 'ThrottlingException', 'Rate exceeded'],
    'server-error': [500, 'ServerException', 'An internal error occurred.'],
    conflict: [409, 'ResourceInUseException', 'The resource is in use.'],
    unauthorized: [403, 'AccessDeniedException', 'User is not authorized to perform this action.'],
  },
  events: {
    throttle: [400, 'ThrottlingException', 'Rate exceeded'],
    'server-error': [500, 'InternalException', 'An internal error occurred.'],
    conflict: [400, 'ConcurrentModificationException', 'Another request is modifying the resource.'],
    unauthorized: [400, 'AccessDeniedException', 'User is not authorized to perform this action.'],
  },
  cloudwatch: {
    throttle: [400, 'Throttling', 'Rate exceeded'],
    'server-error': [500, 'InternalServiceError', 'Internal service error.'],
    unauthorized: [403, 'AccessDenied', 'User is not authorized to perform: cloudwatch:GetMetricData'],
  },
};

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function xmlAnswer(status: number, body: string, requestId: string): Answer {
  return { status, headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId }, body };
}

function jsonAnswer(status: number, body: unknown, requestId: string, contentType: string, errorType?: string): Answer {
  const headers: Record<string, string> = { 'content-type': contentType, 'x-amzn-requestid': requestId };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  return { status, headers, body: JSON.stringify(body) };
}

/** Renders an API error in the service's own shape. */
function errorAnswer(service: Service, e: AwsApiError, requestId: string): Answer {
  switch (service) {
    case 'ec2':
      return xmlAnswer(
        e.status,
        `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(e.code)}</Code><Message>${escapeXml(e.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
        requestId,
      );
    case 'autoscaling':
      return xmlAnswer(
        e.status,
        `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${AUTOSCALING_NS}"><Error><Type>${e.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${escapeXml(e.code)}</Code><Message>${escapeXml(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        requestId,
      );
    case 'eks':
      return jsonAnswer(e.status, { ...e.fields, message: e.message }, requestId, 'application/json', e.code);
    case 'cloudwatch': {
      const { headers, body } = cloudWatchError(e);
      const answer = jsonAnswer(e.status, body, requestId, CLOUDWATCH_CONTENT_TYPE);
      return { ...answer, headers: { ...answer.headers, ...headers } };
    }
    default:
      return jsonAnswer(e.status, { __type: e.code, message: e.message }, requestId, 'application/x-amz-json-1.1');
  }
}

function queryAnswer(service: 'ec2' | 'autoscaling', ctx: RequestContext, params: QueryParams): Answer {
  const action = params.Action ?? '';
  if (service === 'ec2') {
    const handler = EC2_ACTIONS[action];
    if (!handler)
      throw new AwsApiError(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
    const body = handler(ctx, params);
    return xmlAnswer(
      200,
      xmlDocument(`${action}Response`, EC2_NS, { requestId: ctx.requestId, ...body }, 'item'),
      ctx.requestId,
    );
  }
  const handler = AUTOSCALING_ACTIONS[action];
  if (!handler)
    throw new AwsApiError(400, 'InvalidAction', `Could not find operation ${action} for version 2011-01-01`);
  const result = handler(ctx, params);
  const doc = xmlDocument(
    `${action}Response`,
    AUTOSCALING_NS,
    { ...(result ? { [`${action}Result`]: result } : {}), ResponseMetadata: { RequestId: ctx.requestId } },
    'member',
  );
  return xmlAnswer(200, doc, ctx.requestId);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Which service a request is for: the SigV4 scope, or (unsigned requests) what its shape says. */
function serviceOf(
  scopeService: string | undefined,
  req: http.IncomingMessage,
  path: string,
  params: QueryParams,
): Service {
  if (scopeService === 'ec2' || scopeService === 'autoscaling' || scopeService === 'eks' || scopeService === 'events')
    return scopeService;
  if (scopeService === 'monitoring') return 'cloudwatch';
  if (String(req.headers['x-amz-target'] ?? '').startsWith(CLOUDWATCH_TARGET_PREFIX)) return 'cloudwatch';
  if (req.headers['x-amz-target']) return 'events';
  if (path.startsWith('/clusters')) return 'eks';
  return params.Version === '2011-01-01' ? 'autoscaling' : 'ec2';
}

export async function startAwsEmulator(world: World, options: AwsEmulatorOptions = {}): Promise<AwsEmulator> {
  const resolved: ResolvedAwsEmulatorOptions = {
    accountId: options.accountId ?? '123456789012',
    pageSize: options.pageSize ?? 0,
    eksUpdatePolls: options.eksUpdatePolls ?? 1,
    eksUpdateSeconds: options.eksUpdateSeconds ?? 30,
    fleetTypes: options.fleetTypes ?? {},
    kubernetesVersion: options.kubernetesVersion ?? '1.31',
  };
  const state: AwsEmulatorState = {
    activities: new Map(),
    updates: new Map(),
    nodegroupIssues: new Map(),
    received: [],
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    created: new Map(),
    terminated: new Map(),
    seq: 0,
  };
  const hanging = new Set<NodeJS.Timeout>();
  let closing: Promise<void> | undefined;
  // A spot instance EC2 took back stays visible, `terminated` with its state reason, for about an hour, as
  // those TerminateInstances ended do (the world forgets it at once).
  const stopWatching = world.on((e) => {
    if (e.type !== 'instance-state' || e.state !== 'terminated' || e.instance?.interrupted?.kind !== 'spot') return;
    if (world.pool(e.poolId)?.cloud !== 'aws' || state.terminated.has(e.instanceId)) return;
    state.terminated.set(e.instanceId, { instance: e.instance, at: e.at });
  });

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const scope = credentialScope(req.headers.authorization);
    const contentType = String(req.headers['content-type'] ?? '');
    const form = contentType.includes('x-www-form-urlencoded') ? parseForm(raw) : {};
    const service = serviceOf(scope?.service, req, url.pathname, form);
    const requestId = randomUUID();
    const ctx: RequestContext = { world, state, options: resolved, region: scope?.region ?? 'us-east-1', requestId };

    let operation: string;
    let json: unknown;
    const route = service === 'eks' ? eksRoute(req.method ?? 'GET', url.pathname) : undefined;
    if (service === 'ec2' || service === 'autoscaling') operation = form.Action ?? '';
    else if (service === 'eks') operation = route?.operation ?? `${req.method} ${url.pathname}`;
    else if (service === 'cloudwatch')
      operation = String(req.headers['x-amz-target'] ?? '').slice(CLOUDWATCH_TARGET_PREFIX.length);
    else operation = String(req.headers['x-amz-target'] ?? '').replace(/^AWSEvents\./, '');
    if (service === 'eks' || service === 'events' || service === 'cloudwatch') {
      try {
        json = raw ? JSON.parse(raw) : undefined;
      } catch {
        sendAnswer(
          res,
          errorAnswer(
            service,
            new AwsApiError(400, 'SerializationException', 'Could not parse the request body as JSON.'),
            requestId,
          ),
        );
        return;
      }
    }
    const params =
      service === 'ec2' || service === 'autoscaling' ? form : { path: url.pathname, query: url.search, body: json };
    world.record(service, operation, params);

    if (!scope) {
      const err =
        service === 'eks' || service === 'events'
          ? new AwsApiError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token')
          : new AwsApiError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
      sendAnswer(res, errorAnswer(service, err, requestId));
      return;
    }
    const fault = world.faults.take(service, operation, params);
    const hang = (delayMs: number) => {
      const timer = setTimeout(() => {
        hanging.delete(timer);
        req.socket.destroy();
      }, delayMs);
      hanging.add(timer);
    };
    if (fault?.kind === 'timeout' && !fault.served) {
      hang(fault.delayMs);
      return;
    }
    // Served, its answer lost: the request does what it does, and the caller hears nothing.
    const send = fault?.kind === 'timeout' ? () => hang(fault.delayMs) : sendAnswer;
    const generic = fault ? FAULTS[service][fault.kind] : undefined;
    if (generic) {
      send(res, errorAnswer(service, new AwsApiError(...generic), requestId));
      return;
    }
    if (fault?.kind !== 'timeout') ctx.fault = fault;
    try {
      if (service === 'ec2' || service === 'autoscaling') {
        send(res, queryAnswer(service, ctx, form));
      } else if (service === 'eks') {
        if (!route)
          throw new AwsApiError(404, 'UnknownOperationException', `No operation matches ${req.method} ${url.pathname}`);
        const out = handleEks(ctx, route, url.searchParams, json);
        send(res, jsonAnswer(out.status, out.body, requestId, 'application/json'));
      } else if (service === 'cloudwatch') {
        send(
          res,
          jsonAnswer(200, handleCloudWatch(options.cloudwatch, operation, json), requestId, CLOUDWATCH_CONTENT_TYPE),
        );
      } else {
        if (operation !== 'PutEvents')
          throw new AwsApiError(400, 'UnknownOperationException', `Unknown operation ${operation}`);
        send(res, jsonAnswer(200, putEvents(ctx, json), requestId, 'application/x-amz-json-1.1'));
      }
    } catch (e) {
      const err =
        e instanceof AwsApiError
          ? e
          : new AwsApiError(
              500,
              service === 'ec2'
                ? 'InternalError'
                : service === 'cloudwatch'
                  ? 'InternalServiceError'
                  : 'InternalFailure',
              String(e),
            );
      send(res, errorAnswer(service, err, requestId));
    }
  }

  const server = http.createServer((req, res) => {
    serve(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end(String(e));
      }
    });
  });
  tapServer(server, 'aws', options.tap);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    endpoints: { ec2: endpoint, autoscaling: endpoint, eks: endpoint, events: endpoint, cloudwatch: endpoint },
    events: {
      received: state.received,
      refuse: (refuse) => {
        if (refuse) state.refuseEvent = refuse;
        else delete state.refuseEvent;
      },
    },
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        stopWatching();
        for (const t of hanging) clearTimeout(t);
        hanging.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function sendAnswer(res: http.ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  res.end(answer.body);
}
