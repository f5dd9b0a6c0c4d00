/**
 * Operator commands: status, plan/explain (a dry run that explains the decision), scale (a manual target with
 * a reason and an expiry), clear-target (removes it), pause and resume (with an expiry), drain (a node), history (the audit trail by time
 * range, trigger and actor). The changing ones are signals the engine applies in a decision of their own (its
 * plan says what changes, its next state keeps the target or the pause), audited with who asked and why;
 * this module only finds the fleet and the node. A drain's node is cordoned by the decision and drained by
 * the drain function (`handoff.ts`), when one receives the drains.
 */
import type { HistoryQuery } from '../domain/signals.ts';
import type { OperatorCommandSignal } from '../domain/signals.ts';
import type { Fleet } from '../domain/types.ts';
import { type LearnedTimeToReady, learnedTimeToReady } from '../engine/boot-times.ts';
import { formatPlan } from '../engine/format.ts';
import type { Plan } from '../engine/types.ts';
import type { AuditRecord, FleetState } from '../state/records.ts';
import { type DecisionOutcome, runDecision } from './decision.ts';
import { drainAnswer } from './drain-fate.ts';
import type { AppDeps } from './deps.ts';
import { fleetClusters } from '../domain/clusters.ts';
import { observeFleet } from './observe.ts';

export interface PoolStatus {
  poolId: string;
  cloud: string;
  kind: string;
  capacityType: string;
  desired?: number;
  ready?: number;
  min: number;
  max: number;
  hourlyPrice: number;
  /** The configured time to ready, seconds. */
  timeToReadySeconds: number;
  /** What the pool's launches took, where longer than configured: the time to ready its decisions count. */
  timeToReadyLearned?: LearnedTimeToReady;
  error?: string;
}

/** A node of a pool as its cloud describes it (`autoscaler status -o wide`). */
export interface NodeStatus {
  poolId: string;
  instanceId: string;
  /** The Kubernetes node name, when the instance has joined a cluster. */
  name?: string;
  state: string;
  zone?: string;
  capacityType: string;
  launchedAt?: string;
}

/** One audit record as `status` and `history` show it. */
export type AuditSummary = Pick<AuditRecord, 'fleetId' | 'at' | 'eventId' | 'trigger' | 'dryRun' | 'handledBy'> & {
  status: string;
  currentNodes?: number;
  targetNodes?: number;
  applied: number;
  failed: number;
};

export interface FleetStatus {
  fleetId: string;
  paused?: FleetState['paused'];
  manualTarget?: FleetState['manualTarget'];
  offeringBackoff: FleetState['offeringBackoff'];
  pools: PoolStatus[];
  costPerHour: number;
  nodes: NodeStatus[];
  recent: AuditSummary[];
}

export interface OpsResult {
  command: string;
  ok: boolean;
  message: string;
  fleets?: FleetStatus[];
  plan?: Plan;
  explanation?: string;
  /** `plan`/`explain` over several fleets: one dry run each. */
  plans?: Array<{ fleetId: string; plan: Plan; explanation: string }>;
  audit?: AuditRecord;
  /** `history`: the matching audit records of every fleet asked, newest first. */
  history?: AuditSummary[];
}

/** How many recent decisions `status` shows per fleet. */
const STATUS_RECENT = 10;
/** How many audit records `history` returns per fleet unless asked otherwise. */
const HISTORY_LIMIT = 50;

export function auditSummary(a: AuditRecord): AuditSummary {
  const plan = a.plan;
  return {
    fleetId: a.fleetId,
    at: a.at,
    eventId: a.eventId,
    trigger: a.trigger,
    dryRun: a.dryRun,
    status: a.outcome.status,
    // A notice decided in another invocation's decision: which one.
    ...(a.handledBy ? { handledBy: a.handledBy } : {}),
    ...(plan?.currentNodes !== undefined ? { currentNodes: plan.currentNodes } : {}),
    ...(plan?.targetNodes !== undefined ? { targetNodes: plan.targetNodes } : {}),
    applied: a.outcome.applied.length,
    failed: a.outcome.failed.length,
  };
}

/** Whether an audit record matches a history query's trigger and actor (the time range is the store's). */
export function matchesHistory(a: AuditRecord, q: HistoryQuery): boolean {
  if (q.trigger !== undefined && a.trigger.fn !== q.trigger && a.trigger.signal !== q.trigger) return false;
  if (q.actor !== undefined && a.trigger.actor !== q.actor) return false;
  return true;
}

const iso = (t: string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

async function history(deps: AppDeps, fleets: Fleet[], q: HistoryQuery): Promise<AuditSummary[]> {
  const limit = q.limit ?? HISTORY_LIMIT;
  const range = { since: iso(q.since), until: iso(q.until) };
  const filtered = q.trigger !== undefined || q.actor !== undefined;
  const perFleet = await Promise.all(
    // With a filter the store reads on until `limit` records match (or the range ends), keeping only those.
    fleets.map((f) => deps.store.listAudit(f.id, limit, range, filtered ? (a) => matchesHistory(a, q) : undefined)),
  );
  return perFleet
    .flat()
    .sort((a, b) => b.at.localeCompare(a.at))
    .map(auditSummary);
}

function fleetsFor(deps: AppDeps, fleetId: string | undefined): Fleet[] {
  if (!fleetId) return deps.resolved.fleets;
  const f = deps.resolved.fleets.find((x) => x.id === fleetId);
  if (!f) throw new OpsError(`no fleet '${fleetId}' (configured: ${deps.resolved.fleets.map((x) => x.id).join(', ')})`);
  return [f];
}

/** The time to ready a pool's launches showed, where longer than configured (engine/boot-times.ts). */
function withLearned(pool: Fleet['pools'][number], boots: FleetState['boots']) {
  const learned = learnedTimeToReady(pool, boots);
  return learned ? { timeToReadyLearned: learned } : {};
}

/** A command that cannot be carried out as asked (unknown fleet, node not found): not retried. */
export class OpsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpsError';
  }
}

async function status(deps: AppDeps, fleet: Fleet): Promise<FleetStatus> {
  const [state, audit, obs] = await Promise.all([
    deps.store.getState(fleet.id),
    deps.store.listAudit(fleet.id, STATUS_RECENT),
    observeFleet(fleet, deps),
  ]);
  const observed = new Map(obs.fleet.pools.map((p) => [p.id, p]));
  const pools = fleet.pools.map((p): PoolStatus => {
    const base = {
      poolId: p.id,
      cloud: p.cloud,
      kind: p.kind,
      capacityType: p.capacityType,
      min: p.min,
      max: p.max,
      hourlyPrice: p.hourlyPrice,
      timeToReadySeconds: p.timeToReadySeconds,
      ...withLearned(p, state.boots),
    };
    const o = observed.get(p.id);
    if (o) return { ...base, desired: o.desired, ready: o.ready };
    return { ...base, error: obs.failures.find((f) => f.poolId === p.id)?.error ?? 'not observed' };
  });
  return {
    fleetId: fleet.id,
    ...(state.paused ? { paused: state.paused } : {}),
    ...(state.manualTarget ? { manualTarget: state.manualTarget } : {}),
    offeringBackoff: state.offeringBackoff,
    pools,
    costPerHour: pools.reduce((sum, p) => sum + (p.desired ?? 0) * p.hourlyPrice, 0),
    nodes: [...obs.instances].flatMap(([poolId, list]) =>
      list.map(
        (i): NodeStatus => ({
          poolId,
          instanceId: i.id,
          ...(i.nodeName ? { name: i.nodeName } : {}),
          state: i.lifecycle,
          ...(i.zone ? { zone: i.zone } : {}),
          capacityType: i.capacityType,
          ...(i.launchedAt ? { launchedAt: i.launchedAt } : {}),
        }),
      ),
    ),
    recent: audit.map(auditSummary),
  };
}

/** The fleet and cluster that have a node (a node name or a cloud instance id), the fleet's Deployment cluster first. */
async function findNode(deps: AppDeps, node: string, fleets: Fleet[]) {
  const searched: string[] = [];
  for (const fleet of fleets) {
    for (const name of fleetClusters(fleet)) {
      const cluster = deps.clouds.cluster(name);
      if (!cluster) continue;
      searched.push(name);
      const found =
        (await cluster.findNodeByInstance(node)) ?? (await cluster.listGpuNodes()).find((n) => n.name === node);
      if (found) return { fleet, cluster: name, node: found.name };
    }
  }
  throw new OpsError(`node '${node}' found in no configured cluster (${searched.join(', ') || 'none configured'})`);
}

const changed = (out: DecisionOutcome) =>
  `plan ${out.plan.currentNodes} -> ${out.plan.targetNodes} nodes (${out.audit.outcome.status})`;

export async function runOperatorCommand(deps: AppDeps, cmd: OperatorCommandSignal): Promise<OpsResult> {
  const fleets = fleetsFor(deps, cmd.fleetId);
  const base = {
    fn: 'ops',
    eventId: cmd.eventId,
    source: cmd.source,
    actor: cmd.actor,
    ...(cmd.reason ? { reason: cmd.reason } : {}),
  };
  const everything = { metrics: true, demand: true, forecast: true, reservations: true };
  /** The command as a signal of a decision of the fleet's own, with everything the decision reads. */
  const decideOn = (fleetId: string, signal: OperatorCommandSignal) =>
    runDecision(deps, {
      ...base,
      fleetId,
      signals: [signal],
      gather: everything,
      dryRun: Boolean(cmd.dryRun) || cmd.command === 'plan' || cmd.command === 'explain',
      // A drain goes to the drain function, when one receives them: this invocation cordons, records and
      // answers, however long the node's pods take to leave.
      handoff: true,
    });
  switch (cmd.command) {
    case 'status':
      return {
        command: 'status',
        ok: true,
        message: `${fleets.length} fleet(s)`,
        fleets: await Promise.all(fleets.map((f) => status(deps, f))),
      };
    case 'history': {
      const records = await history(deps, fleets, cmd.history ?? {});
      return {
        command: 'history',
        ok: true,
        message: `${records.length} audit record(s) in ${fleets.length} fleet(s)`,
        history: records,
      };
    }
    case 'plan':
    case 'explain': {
      const runs = await Promise.all(
        fleets.map(async (f) => {
          const out = await decideOn(f.id, cmd);
          return { fleetId: f.id, plan: out.plan, explanation: formatPlan(out.plan), audit: out.audit };
        }),
      );
      const only = runs.length === 1 ? runs[0]! : undefined;
      return {
        command: cmd.command,
        ok: true,
        message: `dry run for ${fleets.map((f) => f.id).join(', ')}`,
        ...(only ? { plan: only.plan, explanation: only.explanation, audit: only.audit } : {}),
        plans: runs.map(({ fleetId, plan, explanation }) => ({ fleetId, plan, explanation })),
      };
    }
    case 'scale': {
      const fleet = fleets[0]!;
      if (cmd.poolId && !fleet.pools.some((p) => p.id === cmd.poolId))
        throw new OpsError(`no pool '${cmd.poolId}' in fleet '${fleet.id}'`);
      const out = await decideOn(fleet.id, cmd);
      return {
        command: 'scale',
        ok: out.audit.outcome.failed.length === 0,
        message: `${cmd.dryRun ? 'dry run, nothing changed: ' : ''}${fleet.id}: manual target ${cmd.target}${cmd.poolId ? ` on ${cmd.poolId}` : ''}${cmd.expiresAt ? ` until ${cmd.expiresAt}` : ''}; ${changed(out)}`,
        plan: out.plan,
        explanation: formatPlan(out.plan),
        audit: out.audit,
      };
    }
    case 'clear-target': {
      const fleet = fleets[0]!;
      const cleared = (await deps.store.getState(fleet.id)).manualTarget;
      const out = await decideOn(fleet.id, cmd);
      const what = cleared
        ? `manual target ${cleared.target}${cleared.poolId ? ` on ${cleared.poolId}` : ''} (set by ${cleared.by}) cleared`
        : 'no manual target was in force';
      return {
        command: 'clear-target',
        ok: out.audit.outcome.failed.length === 0,
        message: `${cmd.dryRun ? 'dry run, nothing changed: ' : ''}${fleet.id}: ${what}; ${changed(out)}`,
        plan: out.plan,
        explanation: formatPlan(out.plan),
        audit: out.audit,
      };
    }
    case 'pause': {
      const fleet = fleets[0]!;
      const out = await decideOn(fleet.id, cmd);
      return {
        command: 'pause',
        ok: true,
        message: `${cmd.dryRun ? 'dry run, nothing changed: would pause' : 'paused'} ${fleet.id}${cmd.expiresAt ? ` until ${cmd.expiresAt}` : ''} for ${cmd.actor}`,
        plan: out.plan,
        audit: out.audit,
      };
    }
    case 'resume': {
      const fleet = fleets[0]!;
      const out = await decideOn(fleet.id, cmd);
      return {
        command: 'resume',
        ok: out.audit.outcome.failed.length === 0,
        message: `${cmd.dryRun ? 'dry run, nothing changed: would resume' : 'resumed'} ${fleet.id} for ${cmd.actor}; ${changed(out)}`,
        plan: out.plan,
        audit: out.audit,
      };
    }
    case 'drain': {
      const found = await findNode(deps, cmd.node!, fleets);
      const out = await decideOn(found.fleet.id, { ...cmd, node: found.node, cluster: found.cluster });
      // Audited under every other fleet whose nodes join that cluster too, so that each fleet's status shows it.
      const others = fleets.filter((f) => f.id !== found.fleet.id && fleetClusters(f).includes(found.cluster));
      await Promise.all(others.map((f) => deps.store.putAudit({ ...out.audit, fleetId: f.id })));
      const drained = out.audit.outcome.applied.find((a) => a.action === 'cordon-drain');
      const failed = out.audit.outcome.failed.find((f) => f.action.startsWith('cordon-drain'));
      // Handed off: what became of it, from the record (handed to the drain function, drained here after the
      // bus refused it or did not answer, left to the bus's delivery, or failed), with the reason.
      const handedOff = cmd.dryRun ? undefined : drainAnswer(out.audit);
      return {
        command: 'drain',
        ok: !failed,
        message: cmd.dryRun
          ? `would cordon and drain ${found.node} in ${found.cluster}`
          : handedOff
            ? handedOff
            : failed
              ? `drain of ${found.node} failed: ${failed.error}`
              : `cordoned and drained ${found.node} in ${found.cluster}${drained ? '' : ' (nothing to do)'}`,
        plan: out.plan,
        audit: out.audit,
      };
    }
  }
}
