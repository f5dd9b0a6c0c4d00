/**
 * CapacityPort for AWS: EC2 Fleets, Auto Scaling groups and EKS managed node groups, capacity reservations
 * and blocks, spot prices. Each pool kind lives in its own file; this class checks the request and routes it.
 */
import { CloudError } from '../../domain/errors.ts';
import type {
  CapacityPort,
  CapacityReservation,
  InstanceStatus,
  PoolObservation,
  PoolRef,
  RemoveInstanceOptions,
  RemoveInstanceResult,
  SetDesiredRequest,
  SetDesiredResult,
  SetWarmRequest,
  SetWarmResult,
} from '../../domain/ports.ts';
import type { PoolKind } from '../../domain/types.ts';
import { describeGroupPool, removeGroupInstance, setGroupDesired } from './asg.ts';
import { setGroupWarm } from './warm-pool.ts';
import type { AwsClients } from './clients.ts';
import { describeNodegroupPool, type PollOptions, removeNodegroupInstance, setNodegroupDesired } from './eks.ts';
import { describeFleetPool, removeFleetInstance, setFleetDesired } from './fleet.ts';
import { instanceStatus } from './instance-status.ts';
import { listReservations } from './reservations.ts';

const KINDS: ReadonlySet<PoolKind> = new Set(['ec2-fleet', 'auto-scaling-group', 'eks-nodegroup']);

export interface AwsCapacityOptions {
  poll?: PollOptions;
  /** The adapter's clock, for `observedAt` and the start of the spot price history (default: real time). */
  clock?: () => Date;
}

export class AwsCapacity implements CapacityPort {
  readonly cloud = 'aws' as const;
  private readonly clients: AwsClients;
  private readonly poll: PollOptions;
  private readonly clock: () => Date;
  /** The last queued change per fleet (`region/fleet id`): changes of one fleet run one after the other. */
  private readonly fleetQueues = new Map<string, Promise<unknown>>();

  constructor(clients: AwsClients, options: AwsCapacityOptions = {}) {
    this.clients = clients;
    this.poll = options.poll ?? {};
    this.clock = options.clock ?? (() => new Date());
  }

  /** What EC2 says now of instances an interruption notice names: state, spot, spot request status. */
  async instanceStatus(ref: PoolRef, instances: ReadonlyArray<{ id: string }>): Promise<InstanceStatus[]> {
    this.check(ref, `reading instances of ${ref.cloud} ${ref.kind} ${ref.resource}`);
    return instanceStatus(this.clients, ref, instances);
  }

  async describePool(ref: PoolRef): Promise<PoolObservation> {
    this.check(ref, `describing ${ref.cloud} ${ref.kind} ${ref.resource}`);
    switch (ref.kind) {
      case 'ec2-fleet':
        return describeFleetPool(this.clients, ref, this.clock());
      case 'auto-scaling-group':
        return describeGroupPool(this.clients, ref, this.clock());
      default:
        return describeNodegroupPool(this.clients, ref, this.clock());
    }
  }

  async setDesired(ref: PoolRef, request: SetDesiredRequest): Promise<SetDesiredResult> {
    const operation = `resizing ${ref.cloud} ${ref.kind} ${ref.resource} to ${request.desired}`;
    this.check(ref, operation);
    if (!Number.isInteger(request.desired) || request.desired < 0) {
      throw new CloudError({
        kind: 'invalid',
        cloud: 'aws',
        operation,
        message: `desired must be a whole number >= 0, got ${request.desired}`,
      });
    }
    switch (ref.kind) {
      case 'ec2-fleet':
        return this.inFleetQueue(ref, () => setFleetDesired(this.clients, ref, request));
      case 'auto-scaling-group':
        return setGroupDesired(this.clients, ref, request);
      default:
        return setNodegroupDesired(this.clients, ref, request, this.poll);
    }
  }

  listReservations(region: string): Promise<CapacityReservation[]> {
    return listReservations(this.clients, region);
  }

  /**
   * Auto Scaling groups and EKS node groups: TerminateInstanceInAutoScalingGroup, lowering the desired
   * count. EC2 Fleets (`maintain`) have no such call: the target is lowered by one with `no-termination`, then
   * that instance is terminated (see removeFleetInstance for the steps, and the state a failure leaves).
   * An instance already terminated on request changes nothing; one not in the pool is `not-found`.
   */
  async removeInstance(
    ref: PoolRef,
    instanceId: string,
    options?: RemoveInstanceOptions,
  ): Promise<RemoveInstanceResult | undefined> {
    const operation = `removing instance ${instanceId} from ${ref.cloud} ${ref.kind} ${ref.resource}`;
    this.check(ref, operation);
    // Each ends the instance with one call that does not run on (no operation to wait on).
    switch (ref.kind) {
      case 'auto-scaling-group': {
        // The instance is gone either way; a warm-pool floor not set back is reported beside it.
        const warning = await removeGroupInstance(
          this.clients,
          ref.location.region,
          ref.resource,
          instanceId,
          operation,
          options?.warmMin,
        );
        return warning ? { warning } : undefined;
      }
      case 'eks-nodegroup':
        await removeNodegroupInstance(this.clients, ref, instanceId);
        return undefined;
      default:
        await this.inFleetQueue(ref, () => removeFleetInstance(this.clients, ref, instanceId, operation));
        return undefined;
    }
  }

  /** Auto Scaling groups only: their warm pool (warm-pool.ts). EC2 Fleets and EKS node groups have none. */
  async setWarm(ref: PoolRef, request: SetWarmRequest): Promise<SetWarmResult> {
    const operation = `setting the warm capacity of ${ref.cloud} ${ref.kind} ${ref.resource}`;
    this.check(ref, operation);
    if (ref.kind !== 'auto-scaling-group') {
      throw new CloudError({
        kind: 'invalid',
        cloud: 'aws',
        operation,
        message: `a ${ref.kind} has no warm pool (EC2 Auto Scaling groups do)`,
      });
    }
    return setGroupWarm(this.clients, ref, request);
  }

  /**
   * Runs a change of a fleet's target after the changes of that fleet already queued: each reads the target
   * and writes it back (ModifyFleet sets a number, it does not subtract), so two removals at once would both
   * write T-1. Other invocations are kept out by the fleet's decision lease.
   */
  private async inFleetQueue<T>(ref: PoolRef, change: () => Promise<T>): Promise<T> {
    const key = `${ref.location.region}/${ref.resource}`;
    const before = this.fleetQueues.get(key) ?? Promise.resolve();
    const run = before.then(change, change);
    const settled = run.catch(() => undefined);
    this.fleetQueues.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.fleetQueues.get(key) === settled) this.fleetQueues.delete(key);
    }
  }

  private check(ref: PoolRef, operation: string): void {
    if (ref.cloud !== 'aws' || !KINDS.has(ref.kind)) {
      throw new CloudError({
        kind: 'invalid',
        cloud: 'aws',
        operation,
        message: `the AWS adapter does not handle ${ref.cloud} ${ref.kind} pools`,
      });
    }
  }
}
