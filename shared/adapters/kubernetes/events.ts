/**
 * Kubernetes Events for what the autoscaler does to nodes and Deployments, as Karpenter and Cluster
 * Autoscaler emit theirs: core `v1` Events (client-go's event recorder writes these; `kubectl get events` and
 * `kubectl describe` read them), `source.component` and `reportingComponent` naming the autoscaler.
 *
 * Reasons: `Cordoned` (a node marked unschedulable), `Uncordoned` (a cordon undone: its notice was refuted),
 * `Drained` / `DrainIncomplete` (Warning: pods left at the deadline), `SuccessfulRescale` (a Deployment's replicas changed: the HPA's own reason for the same thing),
 * `NodePoolUpdated` (a Karpenter NodePool patched). The message carries the counts and, when the caller gives
 * one, the reason.
 *
 * Best effort, as client-go's recorder is: an Event that cannot be written never fails the action it
 * describes; the number of Events dropped is kept (`dropped`).
 */
import type { CoreV1Event } from '@kubernetes/client-node';
import { type AdapterContext, clientsFor } from './context.ts';

export const EVENT_COMPONENT = 'gpu-fleet-autoscaler';

export interface EventSubject {
  kind: 'Node' | 'Deployment' | 'NodePool';
  apiVersion: string;
  name: string;
  /** Namespaced objects only; a cluster-scoped object's Events live in `default`. */
  namespace?: string;
  uid?: string;
}

export interface EmittedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

let sequence = 0;

/** `<object name>.<hex time>` as client-go names Events (made unique within the process). */
export function eventName(subject: string, at: Date): string {
  sequence = (sequence + 1) % 0x1000;
  return `${subject}.${(BigInt(at.getTime()) * 1_000_000n + BigInt(sequence)).toString(16)}`;
}

/** The core v1 Event for `subject`, at `at`. */
export function eventBody(subject: EventSubject, e: EmittedEvent, at: Date): CoreV1Event {
  const namespace = subject.namespace ?? 'default';
  return {
    metadata: { name: eventName(subject.name, at), namespace },
    involvedObject: {
      kind: subject.kind,
      apiVersion: subject.apiVersion,
      name: subject.name,
      ...(subject.namespace ? { namespace: subject.namespace } : {}),
      ...(subject.uid ? { uid: subject.uid } : {}),
    },
    type: e.type,
    reason: e.reason,
    // The API server caps a message at 1 KiB (events.k8s.io note); keep within it.
    message: e.message.length > 1024 ? `${e.message.slice(0, 1021)}...` : e.message,
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    source: { component: EVENT_COMPONENT },
    reportingComponent: EVENT_COMPONENT,
    reportingInstance: EVENT_COMPONENT,
  };
}

export class EventRecorder {
  private readonly ctx: AdapterContext;
  /** Events that could not be written. */
  dropped = 0;

  constructor(ctx: AdapterContext) {
    this.ctx = ctx;
  }

  /** Writes the Event; never throws. */
  async emit(subject: EventSubject, e: EmittedEvent): Promise<void> {
    const body = eventBody(subject, e, this.ctx.now());
    try {
      const c = clientsFor(this.ctx, `recording a ${e.reason} event for ${subject.kind} ${subject.name}`);
      await c.core.createNamespacedEvent({ namespace: body.metadata.namespace!, body }, c.call());
    } catch {
      this.dropped++;
    }
  }
}

/** `: <why>` when a reason was given. */
export const because = (why: string | undefined) => (why ? `: ${why}` : '');
