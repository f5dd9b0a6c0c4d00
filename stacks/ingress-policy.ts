/**
 * Who may put events on the autoscaler's bus, as data: the node agent's role (assumed by the DaemonSet's
 * service account through an OIDC provider, or EKS Pod Identity), the receivers' roles (the Pub/Sub and
 * Event Grid Function URLs), the functions' own roles (their decision events), and the account's own
 * EventBridge rules. Each sender may put only its own sources. Pure: no SST globals.
 *
 * Same-account principals need no resource policy to call PutEvents (their IAM policy suffices), so the bus
 * policy also denies PutEvents to every principal of any account whose ARN is not one of the senders:
 * `events:PutEvents` on `*` in some administrator's policy can no longer get VMs drained and deleted.
 */
import { AGENT_SOURCES } from '../events/schemas/agent/node-notices.ts';
import { FORWARDED } from '../shared/domain/forwarded.ts';
import { DRAIN_SOURCE } from '../shared/domain/drain-command.ts';

/** The service account the agent's role trusts (agent/deploy/node-agent.yaml). */
export const AGENT_SERVICE_ACCOUNT = { name: 'node-agent', namespace: 'gpu-autoscaler' } as const;

/** What the agent puts on the bus: its own notices and Azure's Scheduled Events documents. */
export const AGENT_EVENT_SOURCES = [
  AGENT_SOURCES.awsImds,
  AGENT_SOURCES.gcpMetadata,
  FORWARDED.azureScheduledEvents.source,
] as const;

/** What each receiver puts on the bus. */
export const RECEIVER_EVENT_SOURCES = {
  pubsub: [FORWARDED.gcpPreemption.source, FORWARDED.gcpMonitoring.source],
  eventgrid: [FORWARDED.azureEventGrid.source, FORWARDED.azureMonitor.source],
} as const;

// biome-ignore lint/suspicious/noExplicitAny: IAM policy JSON
type Json = Record<string, any>;

const ISSUER = /^https:\/\/[a-z0-9.-]+(:\d+)?(\/[\w.~%-]+)*\/?$/i;

/** `https://oidc.eks.../id/X` -> `oidc.eks.../id/X`: the provider's name in IAM and in condition keys. */
export function issuerHost(issuer: string): string {
  if (!ISSUER.test(issuer)) throw new Error(`'${issuer}' is not an https:// OIDC issuer URL`);
  return issuer.replace(/^https:\/\//, '').replace(/\/$/, '');
}

/** The agent role's trust policy: web identity from each cluster issuer, and EKS Pod Identity. */
export function agentTrustPolicy(input: { partition: string; account: string; issuers: readonly string[] }): Json {
  const sa = `system:serviceaccount:${AGENT_SERVICE_ACCOUNT.namespace}:${AGENT_SERVICE_ACCOUNT.name}`;
  return {
    Version: '2012-10-17',
    Statement: [
      ...input.issuers.map((issuer) => {
        const host = issuerHost(issuer);
        return {
          Sid: `WebIdentity${host.replace(/[^A-Za-z0-9]/g, '').slice(-40)}`,
          Effect: 'Allow',
          Principal: { Federated: `arn:${input.partition}:iam::${input.account}:oidc-provider/${host}` },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { [`${host}:sub`]: sa, [`${host}:aud`]: 'sts.amazonaws.com' } },
        };
      }),
      {
        Sid: 'EksPodIdentity',
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: {
            'aws:SourceAccount': input.account,
            'aws:RequestTag/kubernetes-namespace': AGENT_SERVICE_ACCOUNT.namespace,
            'aws:RequestTag/kubernetes-service-account': AGENT_SERVICE_ACCOUNT.name,
          },
        },
      },
    ],
  };
}

/** PutEvents on the bus, for the given sources only. */
export function putEventsPolicy(busArn: string, sources: readonly string[]): Json {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: busArn,
        Condition: { StringEquals: { 'events:source': [...sources] } },
      },
    ],
  };
}

export interface BusSenders {
  busArn: string;
  account: string;
  agentRoleArn: string;
  /** Receiver role ARN -> the sources it puts. */
  receivers: ReadonlyArray<{ roleArn: string; sources: readonly string[] }>;
  /** The functions' roles (decision events, `config.events.source`). */
  functionRoleArns: readonly string[];
  /** The roles of the functions that hand drains off (`Drain Requested`, shared/domain/drain-command.ts): some of the above. */
  handoffRoleArns?: readonly string[];
  eventSource: string;
}

/** The bus's resource policy. */
export function busPolicy(s: BusSenders): Json {
  const senders = [s.agentRoleArn, ...s.receivers.map((r) => r.roleArn), ...s.functionRoleArns];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'NodeAgent',
        Effect: 'Allow',
        Principal: { AWS: s.agentRoleArn },
        Action: 'events:PutEvents',
        Resource: s.busArn,
        Condition: { StringEquals: { 'events:source': [...AGENT_EVENT_SOURCES] } },
      },
      ...s.receivers.map((r, i) => ({
        Sid: `Receiver${i}`,
        Effect: 'Allow',
        Principal: { AWS: r.roleArn },
        Action: 'events:PutEvents',
        Resource: s.busArn,
        Condition: { StringEquals: { 'events:source': [...r.sources] } },
      })),
      {
        Sid: 'Decisions',
        Effect: 'Allow',
        Principal: { AWS: [...s.functionRoleArns] },
        Action: 'events:PutEvents',
        Resource: s.busArn,
        Condition: { StringEquals: { 'events:source': s.eventSource } },
      },
      ...(s.handoffRoleArns?.length
        ? [
            {
              Sid: 'DrainHandoff',
              Effect: 'Allow',
              Principal: { AWS: [...s.handoffRoleArns] },
              Action: 'events:PutEvents',
              Resource: s.busArn,
              Condition: { StringEquals: { 'events:source': DRAIN_SOURCE } },
            },
          ]
        : []),
      {
        // Rules of this account that forward events here (other regions' default buses).
        Sid: 'AccountRules',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'events:PutEvents',
        Resource: s.busArn,
        Condition: { StringEquals: { 'aws:SourceAccount': s.account } },
      },
      {
        // Every other IAM principal, of this account too: denied, whatever its own policy allows. Service
        // principals carry no principal ARN (the Null test), so the account's rules are not denied here.
        Sid: 'NoOtherSenders',
        Effect: 'Deny',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: s.busArn,
        Condition: {
          ArnNotEquals: { 'aws:PrincipalArn': senders },
          Null: { 'aws:PrincipalArn': 'false' },
        },
      },
    ],
  };
}
