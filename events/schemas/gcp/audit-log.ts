import { z } from 'zod';
import type { InterruptionSignal } from '../../../shared/domain/signals.ts';
import { compact, noop } from '../../context.ts';
import { addSeconds, identifier, isoTime } from '../../fields.ts';
import type { Decoder } from '../../parse.ts';

export const GCP_PREEMPTION = 'gcp.compute.preemption';
export const PREEMPTED_METHOD = 'compute.instances.preempted';
/** Compute Engine sends ACPI G2 soft-off at preemption and stops the VM 30 seconds later. */
export const PREEMPTION_GRACE_SECONDS = 30;

const INSTANCE_RESOURCE = /^projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/;

/** Any Cloud Logging LogEntry with an audit log: validated enough to say which method it is about. */
export const LogEntrySchema = z.object({
  insertId: z.string().optional(),
  logName: z.string().optional(),
  timestamp: isoTime().optional(),
  protoPayload: z.object({ methodName: z.string().min(1), resourceName: z.string().optional() }),
});
export type LogEntry = z.infer<typeof LogEntrySchema>;

/**
 * The system-event audit log Compute Engine writes when it preempts a Spot or preemptible VM
 * (`methodName: compute.instances.preempted`), delivered by a log sink as a LogEntry, inside a Pub/Sub
 * message or in a CloudEvent. The VM is named by `protoPayload.resourceName`
 * (`projects/P/zones/Z/instances/NAME`); the deadline is the entry's `timestamp` plus 30 seconds. The
 * entry does not say whether the VM is stopped or deleted (that is its termination action), so no action.
 *
 * @example
 * ```json
 * {
 *   "protoPayload": { "@type": "type.googleapis.com/google.cloud.audit.AuditLog", "status": { "message": "Instance was preempted." },
 *     "authenticationInfo": { "principalEmail": "system@google.com" }, "serviceName": "compute.googleapis.com",
 *     "methodName": "compute.instances.preempted",
 *     "resourceName": "projects/gpu-fleet-prod/zones/us-central1-a/instances/chat-l4-spot-7x2k" },
 *   "insertId": "-k3v9d2e1a7b", "resource": { "type": "gce_instance",
 *     "labels": { "instance_id": "5524190318742290211", "project_id": "gpu-fleet-prod", "zone": "us-central1-a" } },
 *   "timestamp": "2025-03-04T10:15:03.418211Z", "severity": "INFO",
 *   "logName": "projects/gpu-fleet-prod/logs/cloudaudit.googleapis.com%2Fsystem_event",
 *   "receiveTimestamp": "2025-03-04T10:15:04.002914Z"
 * }
 * ```
 * @see https://cloud.google.com/compute/docs/instances/spot#preemption-process
 * @see https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry
 */
export const PreemptionLogEntrySchema = z.object({
  timestamp: isoTime(),
  insertId: identifier('a log entry insertId'),
  logName: z.string().optional(),
  protoPayload: z.object({
    methodName: z.literal(PREEMPTED_METHOD),
    resourceName: identifier('projects/PROJECT/zones/ZONE/instances/NAME', INSTANCE_RESOURCE),
    serviceName: z.literal('compute.googleapis.com').optional(),
  }),
  resource: z.object({ type: z.string(), labels: z.record(z.string(), z.string()).optional() }).optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
export type PreemptionLogEntry = z.infer<typeof PreemptionLogEntrySchema>;

export const preemptionLogEntry: Decoder<typeof PreemptionLogEntrySchema> = {
  schema: PreemptionLogEntrySchema,
  toSignal: (e) => {
    const [, , zone, name] = INSTANCE_RESOURCE.exec(e.protoPayload.resourceName)!;
    return compact<InterruptionSignal>({
      type: 'interruption',
      eventId: e.insertId,
      source: GCP_PREEMPTION,
      time: e.timestamp,
      cloud: 'gcp',
      kind: 'preempt',
      instanceIds: [name!],
      deadline: addSeconds(e.timestamp, PREEMPTION_GRACE_SECONDS),
      zone,
      region: zone!.replace(/-[a-z]$/, ''),
    });
  },
};

/** Audit logs of other methods: acknowledged, not acted on. */
export const otherLogEntry: Decoder<typeof LogEntrySchema> = {
  schema: LogEntrySchema,
  toSignal: (e) => noop('gcp.logging', `audit log ${e.protoPayload.methodName}: not acted on`, e.insertId),
};
