/**
 * The autoscaler's own event bus: the Azure and GCP forwarders put preemption notices and alerts on it
 * (shared/domain/forwarded.ts `FORWARDED`), and the functions publish their decisions on it
 * (`config.events.source`). AWS services keep publishing on the default bus.
 */
export function bus() {
  const bus = new aws.cloudwatch.EventBus('Bus', { name: `${$app.name}-${$app.stage}` });
  return { bus };
}
