/**
 * The forwarded notices: what the receivers (`shared/receivers/`) and the node agent (agent/) put on the
 * autoscaler's own bus, `source` and `detail-type` per kind, each carrying the cloud's own payload as
 * `detail` (the contract docs/deploy.md describes). The one list the stacks' rules and bus policy, the
 * router, the receivers, the agent and the simulation read.
 */
export const FORWARDED = {
  /** An IMDS Scheduled Events document with the VM's metadata (the node agent on an Azure VM). */
  azureScheduledEvents: { source: 'autoscaler.azure.scheduledevents', detailType: 'Azure Scheduled Events Document' },
  /** An Event Grid event (the Event Grid receiver). */
  azureEventGrid: { source: 'autoscaler.azure.eventgrid', detailType: 'Azure Event Grid Event' },
  /** An Azure Monitor alert, common alert schema (the Event Grid receiver). */
  azureMonitor: { source: 'autoscaler.azure.monitor', detailType: 'Azure Monitor Alert' },
  /** A Cloud Logging LogEntry of a preemption (the Pub/Sub receiver). */
  gcpPreemption: { source: 'autoscaler.gcp.compute.preemption', detailType: 'GCP Audit Log Entry' },
  /** A Cloud Monitoring incident notification (the Pub/Sub receiver). */
  gcpMonitoring: { source: 'autoscaler.gcp.monitoring', detailType: 'GCP Monitoring Incident' },
} as const;

export type ForwardedKind = keyof typeof FORWARDED;

/** The kind of a forwarded event, by its `source` and `detail-type`; undefined for any other event. */
export function forwardedKind(source: string, detailType: string): ForwardedKind | undefined {
  for (const [kind, f] of Object.entries(FORWARDED) as Array<[ForwardedKind, (typeof FORWARDED)[ForwardedKind]]>) {
    if (f.source === source && f.detailType === detailType) return kind;
  }
  return undefined;
}
