/**
 * The `karpenter` baseline: the peer a Kubernetes user would pick. A HorizontalPodAutoscaler at a 70%
 * target sets the model server's replicas (one GPU each); Karpenter provisions nodes for the pods that do not
 * fit, across every pool of the fleet as one NodePool, replaces interrupted nodes and consolidates, with its
 * documented defaults. Same physics as every controller (time to ready, spot notices, prices); its pools have
 * no group (`management: 'instances'`): Karpenter launches and ends NodeClaims one by one.
 *
 * Defaults, and where they are documented (karpenter.sh, aws/karpenter-provider-aws):
 * - capacity types: "Karpenter will prioritize `reserved` capacity, followed by `spot`, then finally
 *   `on-demand`" (docs/concepts/nodepools.md, Capacity Type). Within a capacity type the cheapest offering
 *   that fits the NodeClaim's pods: on-demand launches use EC2 Fleet's `lowest-price`, spot launches
 *   `price-capacity-optimized` (docs/concepts/disruption.md, Spot consolidation). The World has no pool
 *   depth, so price-capacity-optimized is the cheapest spot offering that has capacity.
 * - the insufficient-capacity cache: "If the provider API (e.g. EC2 Fleet's API) indicates capacity is
 *   unavailable, Karpenter caches that result ... for that instance type and zone for the next 3 minutes"
 *   (docs/concepts/nodepools.md; `UnavailableOfferingsTTL = 3 * time.Minute` in pkg/cache/cache.go); then it
 *   falls back "to a lower priority capacity type, generally within milliseconds". A spot interruption
 *   warning also marks its instance type and zone unavailable (pkg/controllers/interruption).
 * - interruption: "For Spot interruptions, the NodePool will start a new node as soon as it sees the Spot
 *   interruption warning"; Karpenter taints, drains and terminates the node ahead of the reclaim
 *   (docs/concepts/disruption.md, Interruption). Capacity blocks: Karpenter drains their nodes when the
 *   expiration warning comes (designs/capacity-block-support.md); here the World's `expiring` event.
 * - consolidation: `consolidationPolicy: WhenEmptyOrUnderutilized` and `consolidateAfter: 0s` (the NodePool's
 *   defaults: docs/concepts/disruption.md "Defaults", CRD default `consolidateAfter: 0s`); deletion of empty
 *   nodes, deletion of a node whose pods fit on the others, replacement of a node by a single cheaper one
 *   (launched and ready before the old one goes); a spot node is only deleted, never replaced by another spot
 *   node (`SpotToSpotConsolidation` is off by default); nodes with fewer pods first.
 * - disruption budget: one budget of `nodes: 10%` by default; allowed = roundup(total x 10%) - deleting -
 *   not ready (docs/concepts/disruption.md, NodePool Disruption Budgets).
 * - batching (`BATCH_IDLE_DURATION` 1 s, `BATCH_MAX_DURATION` 10 s, docs/reference/settings.md) and the
 *   disruption controller's polling are far below the 60 s step: pods pending at a step's end are provisioned
 *   in that step, and failed launches fall back within it. `expireAfter` (720 h) is longer than any run.
 *
 * The operator's hard floors, which every controller holds (the oracle's included: baselines/oracle.ts), held
 * as a Karpenter operator would express them:
 * - each pool's minimum: a static NodePool (`spec.replicas`, the `StaticCapacity` feature gate, alpha since
 *   Karpenter v1.8; karpenter.sh docs/concepts/nodepools.md `spec.replicas`, the design
 *   kubernetes-sigs/karpenter designs/static-capacity.md, the EKS user guide's "Static capacity node pools in
 *   EKS Auto Mode", and aws-samples/karpenter-blueprints "static-nodepool", which uses it for capacity
 *   reservations) pinned to the pool (its instance type, capacity type and zones), with the pool's minimum
 *   as replicas. As documented: it keeps that many nodes whatever the pods ask; its nodes are never
 *   consolidation candidates (nor count in the dynamic NodePool's disruption budget: budgets are per
 *   NodePool); a node it loses (a spot interruption, a block's end) is launched again by its scale-up
 *   controller, which compares the replicas with the healthy NodeClaims; and its nodes are ordinary nodes of
 *   the cluster: the model server's pods are scheduled onto them (ready nodes first, as everywhere here),
 *   and consolidation may move pods onto their free slots.
 * - the fleet's `minNodes` and the schedule windows' `minNodes` (floors on NODES): a placeholder Deployment
 *   (pause containers with a node selector on the fleet's GPU instance types, no GPU request, and a required
 *   pod anti-affinity on `kubernetes.io/hostname` among themselves: one per node), the placeholder pattern
 *   of the Kubernetes docs' "Overprovision Node Capacity For A Cluster" (which spreads them by the same
 *   anti-affinity; the static-capacity design names placeholder pods as the way users held minimum capacity
 *   before it). Its replicas come from a KEDA ScaledObject: `minReplicaCount` = the fleet's `minNodes`, and
 *   one `cron` trigger per window (its `timezone`, `start`/`end` as cron expressions of the window's days
 *   and hours, `desiredReplicas` = its `minNodes`; keda.sh docs/scalers/cron). KEDA feeds an HPA, whose
 *   default scale-down stabilization (300 s) keeps a window's count for five minutes after it ends. A pending
 *   placeholder makes Karpenter launch a node (the same offering order as for a pod) unless a node without
 *   one exists; a node holding a placeholder is not empty, and consolidation deletes it only where the
 *   placeholder can move to another node without one. So the fleet holds at least the floor's nodes, and
 *   they serve the model server's pods too, as the oracle's floor nodes serve demand. Why not a static
 *   NodePool whose replicas a CronJob changes (`kubectl scale nodepool`): its nodes come on top of what the
 *   dynamic NodePool runs (the capacity block's node, say), so it would hold more than the floor.
 *   What the model simplifies: the cron trigger starts at the window's start, so its nodes are ready a time
 *   to ready later (the oracle launches them ahead: in the oracle's favour for SLO, in karpenter's for cost);
 *   KEDA's 30 s polling is below the step and ignored; pods pending in the same step as a placeholder go to
 *   the placeholder's new node (Karpenter batches them into one NodeClaim).
 *
 * The operator's ceilings, which bind every controller: each pool's maximum is its offering's room; the
 * fleet's `maxNodes` and `maxGpus` are the dynamic NodePool's `spec.limits` (`nodePoolLimits`).
 *
 * The HPA is the engine's Kubernetes HPA code (as the `hpa` baseline) with its defaults; its metric is the
 * demand over the capacity of the pods on ready nodes (a pod's throughput is its node's over the node's pods
 * slots), pods on booting nodes are unready. Pods are counted per node: new pods go to free slots (ready
 * nodes first, then booting ones), the rest are pending; scale-down removes pending pods first, then pods on
 * booting nodes, then pods on the node with the most of them (the ReplicaSet's ranking), newest node first.
 * The physics counts a ready node's whole throughput, as for every controller, even when it runs fewer pods
 * than it has slots (only the 8-GPU capacity-block node can): that is in this baseline's favour.
 */
import { ceilTolerant } from '../../../shared/domain/capacity.ts';
import { DEFAULT_SCALE_DOWN } from '../../../shared/engine/index.ts';
import type { World, WorldInstance } from '../../emulators/world.ts';
import type { Controller, ControllerContext, StepContext } from '../controller.ts';
import type { DemoFleet } from '../demo.ts';
import { createHpaLoop, type HpaLoop } from './hpa.ts';
import { scheduleFloorAt } from './oracle.ts';

/** Karpenter's defaults used here (see the file comment for the documentation of each). */
export const KARPENTER_DEFAULTS = {
  unavailableOfferingsTtlSeconds: 180,
  consolidationPolicy: 'WhenEmptyOrUnderutilized',
  consolidateAfterSeconds: 0,
  disruptionBudgetPercent: 10,
  spotToSpotConsolidation: false,
  batchIdleSeconds: 1,
  batchMaxSeconds: 10,
  expireAfterHours: 720,
} as const;

export interface KarpenterOptions {
  name?: string;
  /** HPA target, percent. Default 70. */
  targetPercent?: number;
  minReplicas?: number;
  maxReplicas?: number;
}

/** One offering Karpenter can launch: a pool of the fleet (an instance type and capacity type, its zones). */
export interface Offering {
  poolId: string;
  capacityType: 'reserved' | 'spot' | 'on-demand';
  hourlyPrice: number;
  /** Pods (one GPU each) a node holds. */
  slots: number;
  /** Requests/s a node serves. */
  rpsPerNode: number;
  zones: readonly string[];
  reservationId?: string;
}

const PRIORITY: Record<Offering['capacityType'], number> = { reserved: 0, spot: 1, 'on-demand': 2 };

/**
 * Which offering a new NodeClaim for `pending` pods launches on, among `available` ones (not in the
 * insufficient-capacity cache, room left): the NodeClaim takes as many pods as the largest available node
 * holds (Karpenter's scheduler keeps adding pods to an in-flight NodeClaim while some instance type fits them);
 * of the offerings that fit them, the highest-priority capacity type (reserved, spot, on-demand), then the
 * lowest price. Pure. Returns the offering and how many pods it takes, or undefined when none is available.
 */
export function chooseOffering(
  pending: number,
  available: readonly Offering[],
): { offering: Offering; pods: number } | undefined {
  if (pending <= 0 || available.length === 0) return undefined;
  const pods = Math.min(pending, Math.max(...available.map((o) => o.slots)));
  const fitting = available.filter((o) => o.slots >= pods);
  const best = [...fitting].sort(
    (a, b) => PRIORITY[a.capacityType] - PRIORITY[b.capacityType] || a.hourlyPrice - b.hourlyPrice || a.slots - b.slots,
  )[0]!;
  return { offering: best, pods };
}

/**
 * The disruption budget's allowance: roundup(total x percent) - deleting - not ready, never below 0
 * (docs/concepts/disruption.md).
 */
export function allowedDisruptions(total: number, deleting: number, notReady: number, percent: number): number {
  return Math.max(0, ceilTolerant((total * percent) / 100) - deleting - notReady);
}

/** The insufficient-capacity cache: offerings (pool and zone) unavailable until a time. */
export class UnavailableOfferings {
  private readonly until = new Map<string, number>();
  private readonly ttlMs: number;
  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }
  mark(poolId: string, zone: string, now: number): void {
    this.until.set(`${poolId}|${zone}`, now + this.ttlMs);
  }
  isUnavailable(poolId: string, zone: string, now: number): boolean {
    const t = this.until.get(`${poolId}|${zone}`);
    return t !== undefined && now < t;
  }
  /** The zones of `zones` not in the cache at `now`. */
  availableZones(poolId: string, zones: readonly string[], now: number): string[] {
    return zones.filter((z) => !this.isUnavailable(poolId, z, now));
  }
}

interface Node {
  id: string;
  poolId: string;
  pods: number;
  /** A node of a static NodePool (`spec.replicas`, a pool's minimum): never consolidated, replaced when lost. */
  static: boolean;
  /** The node runs one of the floor's placeholder pods (no GPU; one per node). */
  placeholder: boolean;
  /** Slots held for the pods of the node this one replaces (consolidation). */
  held: number;
  /** The node is being replaced (tainted `karpenter.sh/disrupted`): no new pods. */
  disrupting: boolean;
}

interface Replace {
  candidate: string;
  replacement: string;
}

export function createKarpenterBaseline(options: KarpenterOptions = {}): Controller {
  const target = options.targetPercent ?? 70;
  const minReplicas = options.minReplicas ?? 1;
  let hpa: HpaLoop = createHpaLoop(options);
  let offerings: Offering[] = [];
  let ice = new UnavailableOfferings(KARPENTER_DEFAULTS.unavailableOfferingsTtlSeconds * 1000);
  let nodes = new Map<string, Node>();
  let replicas = 0;
  let commands: Replace[] = [];
  const expiring = new Set<string>();
  /** Static NodePools: one per pool with a minimum, `spec.replicas` = the pool's min. */
  let staticPools: Array<{ poolId: string; replicas: number }> = [];
  let floorOf: (t: number) => number = () => 0;
  /** The dynamic NodePool's `spec.limits`: `nodes` and `nvidia.com/gpu` (see `nodePoolLimits`). */
  let limits = { nodes: Number.POSITIVE_INFINITY, gpus: Number.POSITIVE_INFINITY };

  const offeringOf = (poolId: string) => offerings.find((o) => o.poolId === poolId)!;
  const podRps = (o: Offering) => o.rpsPerNode / o.slots;
  const liveInstance = (world: World, id: string): WorldInstance | undefined => {
    const i = world.instance(id);
    return i && i.state !== 'terminated' ? i : undefined;
  };
  const isReady = (world: World, n: Node) => liveInstance(world, n.id)?.state === 'ready';
  const podsOnNodes = () => [...nodes.values()].reduce((s, n) => s + n.pods, 0);
  const placeholders = () => [...nodes.values()].filter((n) => n.placeholder).length;

  function addNode(inst: WorldInstance, isStatic: boolean): Node {
    const node: Node = {
      id: inst.id,
      poolId: inst.poolId,
      pods: 0,
      static: isStatic,
      placeholder: false,
      held: 0,
      disrupting: false,
    };
    nodes.set(node.id, node);
    return node;
  }

  /** Nodes gone from the World (reclaimed at the end of a notice, a block's end) leave their pods pending. */
  function sync(world: World) {
    for (const n of [...nodes.values()]) {
      const i = liveInstance(world, n.id);
      if (!i || i.state === 'terminating') nodes.delete(n.id);
    }
    commands = commands.filter((c) => {
      const candidate = nodes.get(c.candidate);
      const replacement = nodes.get(c.replacement);
      if (candidate && replacement) return true;
      // Either side gone: the command ends; what is left holds its own pods again (a placeholder on a node
      // that is gone is pending: reconcilePlaceholders places it again).
      if (candidate) candidate.disrupting = false;
      if (replacement) replacement.held = 0;
      return false;
    });
  }

  /** Karpenter deletes a node: its pods are evicted (pending), the instance terminated. */
  function deleteNode(world: World, n: Node) {
    nodes.delete(n.id);
    world.terminateInstance(n.id);
  }

  /** Offerings that can take a new node now: not cached as unavailable in every zone, room left. */
  function available(world: World, now: number): Offering[] {
    return offerings.filter((o) => {
      if (o.reservationId && expiring.has(o.reservationId)) return false;
      const pool = world.pool(o.poolId)!;
      const live = world.instancesOf(o.poolId).filter((i) => i.state !== 'terminating').length;
      return live < pool.max && ice.availableZones(o.poolId, o.zones, now).length > 0;
    });
  }

  /**
   * Launches one node on the best available offering for `pods` pods (see `chooseOffering`); a launch that
   * fails marks the offering's zones unavailable and falls back to the next one. Returns the node or undefined.
   */
  function launch(
    world: World,
    now: number,
    pending: number,
    filter: (o: Offering) => boolean = () => true,
  ): { node: Node; pods: number } | undefined {
    // The dynamic NodePool's limits: no NodeClaim that would take it past them.
    const dynamic = [...nodes.values()].filter((n) => !n.static);
    const gpus = dynamic.reduce((sum, n) => sum + offeringOf(n.poolId).slots, 0);
    if (dynamic.length >= limits.nodes) return undefined;
    const withinLimits = (o: Offering) => gpus + o.slots <= limits.gpus;
    for (;;) {
      const choice = chooseOffering(
        pending,
        available(world, now).filter((o) => filter(o) && withinLimits(o)),
      );
      if (!choice) return undefined;
      const zones = ice.availableZones(choice.offering.poolId, choice.offering.zones, now);
      const inst = world.launchInstance(choice.offering.poolId, zones);
      if (inst) {
        const node = addNode(inst, false);
        nodes.set(node.id, node);
        return { node, pods: choice.pods };
      }
      for (const z of zones) ice.mark(choice.offering.poolId, z, now);
    }
  }

  /**
   * The static NodePools' scale-up: each keeps `replicas` nodes of its pool; a missing one (never launched,
   * interrupted, its block ended) is launched now where the insufficient-capacity cache and the pool allow,
   * and tried again at the next step otherwise.
   */
  function reconcileStatic(world: World, now: number) {
    for (const sp of staticPools) {
      const offering = offeringOf(sp.poolId);
      let have = [...nodes.values()].filter((n) => n.static && n.poolId === sp.poolId).length;
      while (have < sp.replicas) {
        if (!available(world, now).includes(offering)) break;
        const zones = ice.availableZones(sp.poolId, offering.zones, now);
        const inst = world.launchInstance(sp.poolId, zones);
        if (!inst) {
          for (const z of zones) ice.mark(sp.poolId, z, now);
          break;
        }
        addNode(inst, true);
        have++;
      }
    }
  }

  /**
   * The floor's placeholder Deployment: `floorOf(now)` replicas, one per node. Surplus placeholders go first
   * from nodes not ready, then the newest; missing ones go to nodes without one (ready first), and the rest
   * are pending: Karpenter launches a node for each (the placeholder takes no GPU slot: the node's slots
   * are free for the model server's pods).
   */
  function reconcilePlaceholders(world: World, now: number) {
    const floor = floorOf(now);
    const hosts = [...nodes.values()].filter((n) => n.placeholder);
    if (hosts.length > floor) {
      hosts
        .sort(
          (a, b) =>
            Number(isReady(world, a)) - Number(isReady(world, b)) ||
            (liveInstance(world, b.id)?.launchedAt ?? 0) - (liveInstance(world, a.id)?.launchedAt ?? 0),
        )
        .slice(0, hosts.length - floor)
        .forEach((n) => {
          n.placeholder = false;
        });
      return;
    }
    let missing = floor - hosts.length;
    const free = [...nodes.values()]
      .filter((n) => !n.placeholder && !n.disrupting)
      .sort((a, b) => Number(isReady(world, b)) - Number(isReady(world, a)));
    for (const n of free) {
      if (missing === 0) return;
      n.placeholder = true;
      missing--;
    }
    while (missing > 0) {
      const launched = launch(world, now, 1);
      if (!launched) return;
      launched.node.placeholder = true;
      missing--;
    }
  }

  /** Pending pods go to free slots (ready nodes first, then booting), then to new nodes. */
  function schedule(world: World, now: number) {
    let pending = replicas - podsOnNodes();
    if (pending <= 0) return;
    const open = [...nodes.values()]
      .filter((n) => !n.disrupting && n.pods + n.held < offeringOf(n.poolId).slots)
      .sort((a, b) => Number(isReady(world, b)) - Number(isReady(world, a)));
    for (const n of open) {
      const take = Math.min(pending, offeringOf(n.poolId).slots - n.pods - n.held);
      n.pods += take;
      pending -= take;
      if (pending === 0) return;
    }
    while (pending > 0) {
      const launched = launch(world, now, pending);
      if (!launched) return;
      launched.node.pods = launched.pods;
      pending -= launched.pods;
    }
  }

  /** Replicas scaled down: pending pods first, then pods on booting nodes, then the fullest nodes, newest first. */
  function removePods(world: World, count: number) {
    const pendingBefore = Math.max(0, replicas + count - podsOnNodes());
    let left = count - Math.min(count, pendingBefore);
    if (left <= 0) return;
    const order = [...nodes.values()].sort((a, b) => {
      const ra = Number(isReady(world, a));
      const rb = Number(isReady(world, b));
      if (ra !== rb) return ra - rb;
      if (a.pods !== b.pods) return b.pods - a.pods;
      return (liveInstance(world, b.id)?.launchedAt ?? 0) - (liveInstance(world, a.id)?.launchedAt ?? 0);
    });
    while (left > 0) {
      const n = order.find((x) => x.pods > 0);
      if (!n) return;
      n.pods -= 1;
      left -= 1;
      // Re-rank: the node with the most pods next.
      order.sort((a, b) => {
        const ra = Number(isReady(world, a));
        const rb = Number(isReady(world, b));
        return ra - rb || b.pods - a.pods;
      });
    }
  }

  /** Finishes replacements whose new node is ready: the pods move, the old node goes. */
  function finishReplacements(world: World) {
    for (const c of [...commands]) {
      const candidate = nodes.get(c.candidate)!;
      const replacement = nodes.get(c.replacement)!;
      if (!isReady(world, replacement)) continue;
      replacement.pods += candidate.pods;
      replacement.held = 0;
      candidate.pods = 0;
      if (candidate.placeholder) replacement.placeholder = true;
      commands = commands.filter((x) => x !== c);
      deleteNode(world, candidate);
    }
  }

  /** WhenEmptyOrUnderutilized consolidation, within the disruption budget. */
  function consolidate(world: World, now: number) {
    // Pods (or placeholders) still pending: nothing to consolidate onto.
    if (replicas - podsOnNodes() > 0 || placeholders() < floorOf(now)) return;
    // The budget is the dynamic NodePool's: its nodes only (a static NodePool's nodes are not consolidated).
    const all = [...nodes.values()].filter((n) => !n.static);
    const notReady = all.filter((n) => !isReady(world, n)).length;
    let budget = allowedDisruptions(all.length, commands.length, notReady, KARPENTER_DEFAULTS.disruptionBudgetPercent);
    const candidates = () =>
      [...nodes.values()]
        .filter((n) => !n.static && isReady(world, n) && !n.disrupting && n.held === 0)
        .sort((a, b) => a.pods - b.pods || offeringOf(b.poolId).hourlyPrice - offeringOf(a.poolId).hourlyPrice);
    // Empty nodes (a placeholder is a pod: its node is not empty).
    for (const n of candidates()) {
      if (budget <= 0) return;
      if (n.pods > 0) break;
      if (n.placeholder) continue;
      deleteNode(world, n);
      budget--;
    }
    // Deletion: a node whose pods fit in the free slots of the other ready nodes, and whose placeholder (if
    // any) has another ready node without one to go to (its anti-affinity).
    for (const n of candidates()) {
      if (budget <= 0) return;
      if (n.pods === 0 && !n.placeholder) continue;
      const others = [...nodes.values()].filter((o) => o !== n && isReady(world, o) && !o.disrupting);
      const free = others.reduce((s, o) => s + offeringOf(o.poolId).slots - o.pods - o.held, 0);
      if (free < n.pods) continue;
      const placeholderTo = n.placeholder ? others.find((o) => !o.placeholder) : undefined;
      if (n.placeholder && !placeholderTo) continue;
      if (placeholderTo) {
        placeholderTo.placeholder = true;
        n.placeholder = false;
      }
      let moving = n.pods;
      for (const o of others) {
        const take = Math.min(moving, offeringOf(o.poolId).slots - o.pods - o.held);
        o.pods += take;
        moving -= take;
        if (moving === 0) break;
      }
      n.pods = 0;
      deleteNode(world, n);
      budget--;
    }
    // Replacement: a single cheaper node that holds the node's pods (and its placeholder), ready before the
    // old one goes.
    for (const n of candidates()) {
      if (budget <= 0) return;
      if (n.pods === 0 && !n.placeholder) continue;
      const current = offeringOf(n.poolId);
      const launched = launch(
        world,
        now,
        Math.max(1, n.pods),
        (o) =>
          o.slots >= n.pods &&
          o.hourlyPrice < current.hourlyPrice &&
          !(
            current.capacityType === 'spot' &&
            o.capacityType === 'spot' &&
            !KARPENTER_DEFAULTS.spotToSpotConsolidation
          ),
      );
      if (!launched) continue;
      launched.node.held = n.pods;
      n.disrupting = true;
      commands.push({ candidate: n.id, replacement: launched.node.id });
      budget--;
    }
  }

  function handleEvents(ctx: StepContext) {
    for (const e of ctx.events) {
      if (e.type === 'interruption-notice' && e.reason === 'spot') {
        ice.mark(e.poolId, e.zone, ctx.now);
        const n = nodes.get(e.instanceId);
        if (n) {
          nodes.delete(n.id);
          ctx.world.terminateInstance(n.id);
        }
      } else if (e.type === 'reservation' && e.kind === 'expiring') {
        expiring.add(e.reservationId);
        for (const n of [...nodes.values()]) {
          if (offeringOf(n.poolId).reservationId === e.reservationId) deleteNode(ctx.world, n);
        }
      }
    }
    sync(ctx.world);
  }

  /** Replicas the HPA holds for `rps` with pods placed as Karpenter would (the start). */
  function settleReplicas(ctx: ControllerContext) {
    const rps = (ctx.foresight.offeredPerStep[0] ?? 0) / ctx.stepSeconds;
    replicas = ctx.startMode === 'cold' ? minReplicas : hpa.clamp(minReplicas);
    reconcileStatic(ctx.world, ctx.now);
    reconcilePlaceholders(ctx.world, ctx.now);
    schedule(ctx.world, ctx.now);
    if (ctx.startMode === 'cold') return;
    const capacity = () => [...nodes.values()].reduce((s, n) => s + n.pods * podRps(offeringOf(n.poolId)), 0);
    // Tolerant as the hpa baseline's `ceilTolerant`: 9 x 10 x 0.7 is 62.99999999999999, not below 63.
    while (capacity() * (target / 100) * (1 + 1e-12) < rps && replicas < hpa.clamp(Number.POSITIVE_INFINITY)) {
      replicas += 1;
      const before = podsOnNodes();
      schedule(ctx.world, ctx.now);
      if (podsOnNodes() === before) {
        replicas -= 1; // nowhere to put it
        break;
      }
    }
  }

  return {
    name: options.name ?? 'karpenter',
    poolManagement: 'instances',
    async start(ctx) {
      hpa = createHpaLoop(options);
      ice = new UnavailableOfferings(KARPENTER_DEFAULTS.unavailableOfferingsTtlSeconds * 1000);
      nodes = new Map();
      commands = [];
      expiring.clear();
      offerings = offeringsOf(ctx.demo);
      staticPools = staticNodePools(ctx.demo);
      floorOf = fleetFloor(ctx.demo);
      limits = nodePoolLimits(ctx.demo, staticPools, offerings);
    },
    async settle(ctx) {
      settleReplicas(ctx);
    },
    async step(ctx) {
      handleEvents(ctx);
      finishReplacements(ctx.world);
      // The HPA: demand over the capacity of the pods on ready nodes.
      let readyPods = 0;
      let readyCapacity = 0;
      for (const n of nodes.values()) {
        if (!isReady(ctx.world, n)) continue;
        readyPods += n.pods;
        readyCapacity += n.pods * podRps(offeringOf(n.poolId));
      }
      const value = readyCapacity > 0 ? (ctx.stepMetrics.offeredRps / readyCapacity) * 100 : 0;
      const desired = hpa.syncStep({
        now: ctx.now,
        current: replicas,
        ready: readyPods,
        valuePercent: value,
        stepSeconds: ctx.stepSeconds,
      });
      if (desired < replicas) {
        const count = replicas - desired;
        replicas = desired;
        removePods(ctx.world, count);
      } else replicas = desired;
      reconcileStatic(ctx.world, ctx.now);
      reconcilePlaceholders(ctx.world, ctx.now);
      schedule(ctx.world, ctx.now);
      consolidate(ctx.world, ctx.now);
    },
    async stop() {},
  };
}

/** The fleet's pools as Karpenter's offerings (pods per node from the cluster's layout, one GPU per pod). */
export function offeringsOf(demo: DemoFleet): Offering[] {
  return demo.worldPools.map((spec) => {
    const pool = demo.fleet.pools.find((p) => p.id === spec.id)!;
    const slots = Math.max(1, demo.cluster.podsPerNode[spec.id] ?? pool.gpusPerNode);
    return {
      poolId: spec.id,
      capacityType: spec.capacityType === 'reserved' ? 'reserved' : spec.capacityType === 'spot' ? 'spot' : 'on-demand',
      hourlyPrice: spec.hourlyPrice,
      slots,
      rpsPerNode: pool.rpsPerNode,
      zones: spec.zones,
      ...(spec.reservationId ? { reservationId: spec.reservationId } : {}),
    };
  });
}

/**
 * The dynamic NodePool's `spec.limits`, the operator's ceilings as a Karpenter operator sets them: `nodes`, the
 * fleet's `maxNodes` less the static NodePools' replicas (a node limit per NodePool: kubernetes-sigs/karpenter
 * #2526 "support NodePool node limits" enforces it while provisioning, as the `cpu`/`memory` limits are; there
 * is no limit across NodePools, kubernetes-sigs/karpenter #745), and `nvidia.com/gpu`, the fleet's `maxGpus`
 * (when it sets one) less theirs. Each pool's maximum is an offering's room (`available`). "If a limit has been
 * exceeded, nodes provisioning is prevented until some nodes have been terminated" (docs/concepts/nodepools.md,
 * spec.limits).
 */
export function nodePoolLimits(
  demo: DemoFleet,
  staticPools: ReadonlyArray<{ poolId: string; replicas: number }>,
  offerings: readonly Offering[],
): { nodes: number; gpus: number } {
  const staticNodes = staticPools.reduce((sum, p) => sum + p.replicas, 0);
  const slots = (poolId: string) => offerings.find((o) => o.poolId === poolId)?.slots ?? 1;
  const staticGpus = staticPools.reduce((sum, p) => sum + p.replicas * slots(p.poolId), 0);
  const { maxNodes } = demo.fleet.policy;
  const { maxGpus } = demo.fleet.policy.safety;
  return {
    nodes: Math.max(0, maxNodes - staticNodes),
    gpus: maxGpus === undefined ? Number.POSITIVE_INFINITY : Math.max(0, maxGpus - staticGpus),
  };
}

/**
 * The static NodePools that hold the pools' minimums: one per pool with a minimum (at most its max), pinned
 * to that pool, with `spec.replicas` = the minimum.
 */
export function staticNodePools(demo: DemoFleet): Array<{ poolId: string; replicas: number }> {
  return demo.worldPools
    .filter((p) => (p.min ?? 0) > 0)
    .map((p) => ({ poolId: p.id, replicas: Math.min(p.min, p.max) }));
}

/**
 * The placeholder Deployment's replicas at time `t`: the fleet's `minNodes` (the ScaledObject's
 * `minReplicaCount`), raised by each schedule window's `minNodes` while it is active (a `cron` trigger per
 * window), and held for the HPA's default scale-down stabilization (300 s) after a window ends: the HPA that
 * KEDA creates keeps the highest recommendation of the last five minutes.
 */
export function fleetFloor(demo: DemoFleet): (t: number) => number {
  const minNodes = Math.max(0, demo.fleet.policy.minNodes ?? 0);
  const stabilizationMs = DEFAULT_SCALE_DOWN.stabilizationWindowSeconds * 1000;
  const hpaSyncMs = 15_000;
  const cache = new Map<number, number>();
  const windowAt = (t: number) => {
    let f = cache.get(t);
    if (f === undefined) {
      f = scheduleFloorAt(demo, t);
      cache.set(t, f);
    }
    return f;
  };
  return (t) => {
    let floor = minNodes;
    if (!(demo.schedule ?? []).some((w) => (w.minNodes ?? 0) > 0)) return floor;
    // The HPA syncs every 15 s; the stabilization window looks back five minutes.
    for (let back = 0; back <= stabilizationMs; back += hpaSyncMs) floor = Math.max(floor, windowAt(t - back));
    return floor;
  };
}
