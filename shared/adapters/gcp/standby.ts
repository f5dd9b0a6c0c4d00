/**
 * Warm capacity of GCP managed instance groups: the standby pool (`standbyPolicy` with `targetStoppedSize` or
 * `targetSuspendedSize` on the instanceGroupManager).
 *
 * - setWarm PATCHes the group: `standbyPolicy.mode` MANUAL and the one target for the state asked for (the
 *   other set to 0), with a requestId, and waits for the operation. `targetSize` stays the number of running VMs.
 * - A scale-out starts (resumes) ready standby VMs first, with `startInstances` (`resumeInstances`), which raise
 *   targetSize and lower targetStoppedSize (targetSuspendedSize) by as many (the API reference of both
 *   methods), then resizes for the rest, which MANUAL creates new. Not SCALE_OUT_POOL: that mode resumes
 *   standby VMs on a resize up and then replenishes the pool to its target (the mode's documentation), so
 *   every resume would prepare a new VM at the running price until the next setWarm lowered the target; the
 *   engine refills a pool only up to its need (engine/warm.ts).
 * - Standby VMs are listed by listManagedInstances like the others: a stopped VM is TERMINATED (or STOPPED), a
 *   suspended one SUSPENDED, with no current action; STOPPING / SUSPENDING while the group prepares them. They
 *   are reported as `warm`, not as instances, only when the group has a standby target or policy (so a
 *   preempted spot VM stays what it is).
 */
import type { WarmObservation } from '../../domain/ports.ts';
import type { WarmState } from '../../domain/warm.ts';
import type { google } from './clients.ts';

type Mig = google.cloud.compute.v1.IInstanceGroupManager;
type ManagedInstance = google.cloud.compute.v1.IManagedInstance;

const PARKED = new Set(['TERMINATED', 'STOPPED', 'SUSPENDED']);
const PARKING = new Set(['STOPPING', 'SUSPENDING']);

/**
 * Whether the group keeps standby VMs: a standby target, or SCALE_OUT_POOL. MANUAL alone does not say so (it
 * is the mode's default), and a stopped VM there may be a preempted spot VM.
 */
export function hasStandby(mig: Mig): boolean {
  return (
    (mig.targetStoppedSize ?? 0) > 0 ||
    (mig.targetSuspendedSize ?? 0) > 0 ||
    mig.standbyPolicy?.mode === 'SCALE_OUT_POOL'
  );
}

/** The state a ready standby VM is parked in (SUSPENDED: suspended; TERMINATED or STOPPED: stopped). */
export function parkedState(mi: ManagedInstance): WarmState {
  return mi.instanceStatus === 'SUSPENDED' ? 'suspended' : 'stopped';
}

/** A standby VM of a group with a standby pool: `ready` to resume, or `warming` (being stopped). */
export function standbyPhase(mi: ManagedInstance): 'ready' | 'warming' | undefined {
  const action = mi.currentAction ?? 'NONE';
  if (PARKING.has(action)) return 'warming';
  if (action === 'NONE' && PARKED.has(mi.instanceStatus ?? '')) return 'ready';
  return undefined;
}

export function standbyState(mig: Mig): WarmState {
  return (mig.targetSuspendedSize ?? 0) > 0 ? 'suspended' : 'stopped';
}

export function warmOf(mig: Mig, standby: Array<{ id: string; phase: 'ready' | 'warming' }>): WarmObservation {
  const ready = standby.filter((s) => s.phase === 'ready').length;
  return {
    target: (mig.targetStoppedSize ?? 0) + (mig.targetSuspendedSize ?? 0),
    ready,
    warming: standby.length - ready,
    state: standbyState(mig),
    instanceIds: standby.map((s) => s.id),
  };
}

/** The PATCH body for `size` standby VMs in `state`. */
export function standbyPatch(size: number, state: WarmState): Mig {
  return {
    standbyPolicy: { mode: 'MANUAL' },
    targetStoppedSize: state === 'suspended' ? 0 : size,
    targetSuspendedSize: state === 'suspended' ? size : 0,
  };
}

/** Whether the group already keeps `size` standby VMs in `state`, used only as the adapter says (MANUAL). */
export function standbyMatches(mig: Mig, size: number, state: WarmState): boolean {
  const want = standbyPatch(size, state);
  return (
    (mig.targetStoppedSize ?? 0) === want.targetStoppedSize &&
    (mig.targetSuspendedSize ?? 0) === want.targetSuspendedSize &&
    mig.standbyPolicy?.mode !== 'SCALE_OUT_POOL'
  );
}
