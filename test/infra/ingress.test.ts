/**
 * Least privilege around the bus and the receivers, on `sst.config.ts` run offline (Pulumi mocks): the bus
 * policy names every sender and denies the rest, the agent's role may only put its notices, the receivers
 * are Function URLs that may only put their sources and write their own claims, the Azure service principal
 * is linked (encrypted), never an environment variable, and only the functions that remove a chosen
 * instance may terminate one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_SPECS } from '../../stacks/function-specs.ts';
import { AGENT_EVENT_SOURCES, AGENT_SERVICE_ACCOUNT, RECEIVER_EVENT_SOURCES } from '../../stacks/ingress-policy.ts';
import { FAKE_SECRETS, writeConfig } from './support/config.ts';
import {
  type Inputs,
  MOCK_ACCOUNT,
  PLATFORM_INSTALLED,
  type ProgramRun,
  ofType,
  runSstConfig,
  SKIP_MESSAGE,
} from './support/sst-harness.ts';

if (!PLATFORM_INSTALLED) console.warn(`test/infra/ingress.test.ts skipped: ${SKIP_MESSAGE}`);

const ISSUER =
  'https://oidc.prod-aks.azure.com/00000000-0000-0000-0000-000000000001/11111111-2222-3333-4444-555555555555/';
const PUBSUB_SA = 'pubsub-push@gpu-fleet.iam.gserviceaccount.com';

describe.skipIf(!PLATFORM_INSTALLED)('ingress: bus policy, agent role, receivers (offline, Pulumi mocks)', () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runSstConfig({
      stage: 'ci',
      env: {
        AUTOSCALER_CONFIG_FILE: writeConfig(),
        AUTOSCALER_AGENT_OIDC_ISSUERS: ISSUER,
        AUTOSCALER_PUBSUB_SERVICE_ACCOUNT: PUBSUB_SA,
        AUTOSCALER_PUBSUB_SUBSCRIPTION: 'projects/gpu-fleet/subscriptions/gpu-autoscaler-preemptions',
        AUTOSCALER_EVENTGRID_RECEIVER: 'true',
        ...FAKE_SECRETS,
      },
    });
  }, 120_000);

  const role = (name: string) => ofType(run, 'aws:iam/role:Role').find((r) => r.name === name)!;
  const lambda = (name: string) => ofType(run, 'aws:lambda/function:Function').find((l) => l.name === name)!;
  const bus = () => ofType(run, 'aws:cloudwatch/eventBus:EventBus')[0]!;
  const statements = (r: Inputs): Inputs[] =>
    r.inputs.inlinePolicies.flatMap((p: Inputs) => JSON.parse(p.policy).Statement);

  it('the bus policy lets the agent, the receivers, the functions and the account rules put, and denies everyone else', () => {
    const policy = JSON.parse(ofType(run, 'aws:cloudwatch/eventBusPolicy:EventBusPolicy')[0]!.inputs.policy);
    const bySid = Object.fromEntries(policy.Statement.map((s: Inputs) => [s.Sid, s]));
    const agent = role('NodeAgentRole').state.arn;
    const receivers = ['PubsubReceiverRole', 'EventgridReceiverRole'].map((n) => role(n).state.arn);
    const functions = FUNCTION_SPECS.map((s) => role(`${s.component}Role`).state.arn);
    expect(bySid.NodeAgent).toMatchObject({
      Effect: 'Allow',
      Principal: { AWS: agent },
      Condition: { StringEquals: { 'events:source': [...AGENT_EVENT_SOURCES] } },
    });
    expect(bySid.Receiver0.Principal.AWS).toBe(receivers[0]);
    expect(bySid.Receiver0.Condition.StringEquals['events:source']).toEqual([...RECEIVER_EVENT_SOURCES.pubsub]);
    expect(bySid.Receiver1.Principal.AWS).toBe(receivers[1]);
    expect(bySid.Decisions.Principal.AWS.sort()).toEqual([...functions].sort());
    expect(bySid.Decisions.Condition).toEqual({ StringEquals: { 'events:source': 'gpu-autoscaler.test' } });
    // Drain commands: only the roles of the functions that hand drains off.
    expect(bySid.DrainHandoff.Principal.AWS.sort()).toEqual(
      ['SpotInterruptionRole', 'CapacityReservationRole', 'OpsRole'].map((r) => role(r).state.arn).sort(),
    );
    expect(bySid.DrainHandoff.Condition).toEqual({ StringEquals: { 'events:source': 'autoscaler.drain' } });
    expect(bySid.AccountRules).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': MOCK_ACCOUNT } },
    });
    expect(bySid.NoOtherSenders).toMatchObject({ Effect: 'Deny', Principal: '*', Action: 'events:PutEvents' });
    expect(bySid.NoOtherSenders.Condition.ArnNotEquals['aws:PrincipalArn'].sort()).toEqual(
      [agent, ...receivers, ...functions].sort(),
    );
    for (const s of policy.Statement) expect(s.Resource).toBe(bus().state.arn);
  });

  it('the agent role trusts only the agent service account, through the cluster issuer or EKS Pod Identity', () => {
    const trust = JSON.parse(role('NodeAgentRole').inputs.assumeRolePolicy).Statement;
    const host = ISSUER.replace('https://', '').replace(/\/$/, '');
    expect(trust[0]).toMatchObject({
      Principal: { Federated: `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/${host}` },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          [`${host}:sub`]: `system:serviceaccount:${AGENT_SERVICE_ACCOUNT.namespace}:${AGENT_SERVICE_ACCOUNT.name}`,
          [`${host}:aud`]: 'sts.amazonaws.com',
        },
      },
    });
    expect(trust[1].Principal).toEqual({ Service: 'pods.eks.amazonaws.com' });
    expect(statements(role('NodeAgentRole'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: bus().state.arn,
        Condition: { StringEquals: { 'events:source': [...AGENT_EVENT_SOURCES] } },
      },
    ]);
  });

  it.each([
    ['PubsubReceiver', 'pubsub', RECEIVER_EVENT_SOURCES.pubsub],
    ['EventgridReceiver', 'eventgrid', RECEIVER_EVENT_SOURCES.eventgrid],
  ] as const)(
    '%s: a Function URL that may only put its sources and read and write its claims',
    (name, kind, sources) => {
      const url = ofType(run, 'aws:lambda/functionUrl:FunctionUrl').find(
        (u) => u.inputs.functionName === lambda(`${name}Function`).state.name,
      );
      expect(url?.inputs.authorizationType).toBe('NONE');
      const s = statements(role(`${name}Role`));
      const put = s.find((x) => [x.Action].flat().includes('events:PutEvents'))!;
      expect(put.Condition).toEqual({ StringEquals: { 'events:source': [...sources] } });
      const claims = s.find((x) => [x.Action].flat().includes('dynamodb:PutItem'))!;
      expect(claims.Condition).toEqual({
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`receiver#${kind}`] },
      });
      expect(s.flatMap((x) => [x.Action].flat()).sort()).toEqual(
        [
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'events:PutEvents',
        ].sort(),
      );
    },
  );

  it('the Pub/Sub receiver is told its audience, service account and subscription', () => {
    expect(lambda('PubsubReceiverFunction').inputs.environment.variables).toMatchObject({
      PUBSUB_AUDIENCE: 'gpu-autoscaler-ci-pubsub',
      PUBSUB_SERVICE_ACCOUNT: PUBSUB_SA,
      PUBSUB_SUBSCRIPTION: 'projects/gpu-fleet/subscriptions/gpu-autoscaler-preemptions',
    });
  });

  it('the Event Grid key is linked to the Event Grid receiver only', () => {
    const withKey = run.builds.filter((b) => Object.keys(b.links).includes('EventGridReceiverKey'));
    expect(withKey.map((b) => b.functionID)).toEqual(['EventgridReceiver']);
  });

  it('no function holds a credential in its environment: the Azure service principal is linked', () => {
    const secretValues = [
      FAKE_SECRETS.SST_SECRET_AzureClientSecret!,
      FAKE_SECRETS.SST_SECRET_AzureTenantId!,
      FAKE_SECRETS.SST_SECRET_EventGridReceiverKey!,
    ];
    for (const l of ofType(run, 'aws:lambda/function:Function')) {
      const env = JSON.stringify(l.inputs.environment ?? {});
      for (const v of secretValues) expect(env.includes(v), `${l.name} environment`).toBe(false);
      expect(Object.keys(l.inputs.environment?.variables ?? {})).not.toContain('AZURE_CLIENT_SECRET');
    }
    const acting = run.builds.filter((b) => FUNCTION_SPECS.some((s) => s.component === b.functionID));
    for (const b of acting) expect(Object.keys(b.links), b.functionID).toContain('AzureClientSecret');
  });

  it.each(FUNCTION_SPECS.map((s) => [s.key, s] as const))(
    '%s: may terminate a chosen instance only if it removes interrupted nodes',
    (_key, spec) => {
      const actions = statements(role(`${spec.component}Role`)).flatMap((x) => [x.Action].flat());
      const removes = spec.uses.includes('remove-instances');
      expect(actions.includes('ec2:TerminateInstances'), spec.key).toBe(removes);
      expect(actions.includes('autoscaling:TerminateInstanceInAutoScalingGroup'), spec.key).toBe(removes);
    },
  );

  it('only the spot-interruption, drain and capacity-reservation functions remove instances', () => {
    expect(FUNCTION_SPECS.filter((s) => s.uses.includes('remove-instances')).map((s) => s.key)).toEqual([
      'spot-interruption',
      'drain',
      'capacity-reservation',
    ]);
  });

  it('outputs the agent role, the bus ARN and the receivers for docs/deploy.md', () => {
    expect(Object.keys(run.outputs)).toEqual(
      expect.arrayContaining(['agentRole', 'busArn', 'pubsubReceiverUrl', 'pubsubAudience', 'eventGridReceiverUrl']),
    );
  });
});
