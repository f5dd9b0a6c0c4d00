/// <reference path="./.sst/platform/config.d.ts" />

/**
 * The GPU autoscaler on AWS: app settings, then the stacks in the order they depend on each other. Each
 * stack is a function in stacks/ that returns its resources. docs/deploy.md (README "Deploy") says how to
 * deploy, and which environment variables `sst deploy` reads (stacks/settings.ts).
 */
export default $config({
  app(input) {
    const production = input?.stage === 'production';
    return {
      name: 'gpu-autoscaler',
      home: 'aws',
      // Production keeps its table (and its history) when the stage is removed, and refuses `sst remove`.
      removal: production ? 'retain' : 'remove',
      protect: production,
    };
  },
  async run() {
    const root = $cli.paths.root;
    const { loadDeploySettings } = await import('./stacks/settings.ts');
    const settings = await loadDeploySettings(process.env, root);
    const config = settings.resolved.config;

    const { storage } = await import('./stacks/storage.ts');
    const { bus } = await import('./stacks/bus.ts');
    const { alerts } = await import('./stacks/alerts.ts');
    const { secrets } = await import('./stacks/secrets.ts');
    const { functions } = await import('./stacks/functions.ts');
    const { rules } = await import('./stacks/rules.ts');
    const { schedules } = await import('./stacks/schedules.ts');
    const { ops } = await import('./stacks/ops.ts');
    const { receivers, pubsubAudience } = await import('./stacks/receivers.ts');
    const { ingress } = await import('./stacks/ingress.ts');
    const { alarms } = await import('./stacks/alarms.ts');

    const { table } = storage();
    const events = bus();
    const alerting = alerts({ alertEmail: settings.alertEmail });
    const fns = functions({
      settings,
      root,
      table,
      bus: events.bus,
      secrets: secrets(config),
      deadLetters: alerting.deadLetters,
    });
    rules({ config, bus: events.bus, functions: fns });
    const scheduled = schedules({ settings, functions: fns, deadLetters: alerting.deadLetters });
    const opsAccess = ops({ settings, functions: fns });
    const received = receivers({ settings, table, bus: events.bus });
    const [identity, region, partition] = await Promise.all([
      aws.getCallerIdentity({}),
      aws.getRegion({}),
      aws.getPartition({}),
    ]);
    alarms({
      config,
      functions: fns,
      partition: partition.partition,
      region: region.name,
      account: identity.accountId,
    });
    const access = ingress({
      settings,
      bus: events.bus,
      functions: fns,
      receivers: received,
      eventSource: config.events.source,
    });
    const url = (kind: string) => received.find((r) => r.kind === kind)?.fn.url;

    return {
      table: table.name,
      bus: events.bus.name,
      busArn: events.bus.arn,
      // The node agent's role (agent/deploy/node-agent.yaml `AWS_ROLE_ARN`) and the receivers' URLs (docs/deploy.md).
      agentRole: access.agentRole.arn,
      pubsubReceiverUrl: url('pubsub'),
      pubsubAudience: settings.pubsub ? pubsubAudience() : undefined,
      eventGridReceiverUrl: url('eventgrid'),
      alertsTopic: alerting.topic.arn,
      opsFunction: fns.ops.fn.name,
      opsInvokerRole: opsAccess.role.arn,
      // Map these in each cluster (EKS access entries or aws-auth) to the Kubernetes group the autoscaler uses.
      functionRoles: Object.fromEntries(Object.values(fns).map((f) => [f.spec.key, f.fn.nodes.role.arn])),
      scheduleGroup: scheduled.group.name,
    };
  },
});
