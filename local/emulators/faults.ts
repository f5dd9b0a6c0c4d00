/**
 * Fault injection for the emulators: a test or the simulation says "the next N calls to this operation
 * fail like so", and each emulator renders the fault in its own protocol (an EC2 `RequestLimitExceeded`
 * XML error, an ARM 429 with Retry-After, a GCP operation that ends with an error, a Kubernetes 409...).
 */

export const FAULT_KINDS = [
  /** Throttled: EC2 RequestLimitExceeded, ASG Throttling, HTTP 429. */
  'throttle',
  /** HTTP 500/503 from the service. */
  'server-error',
  /** The connection hangs for `delayMs` and is then dropped without an answer. */
  'timeout',
  /** The cloud has no capacity: InsufficientInstanceCapacity, ZONE_RESOURCE_POOL_EXHAUSTED, SkuNotAvailable... */
  'insufficient-capacity',
  /** A long-running operation is accepted and then ends in failure. */
  'operation-failed',
  /** Optimistic-concurrency conflict (Kubernetes 409, ARM 409, EKS ResourceInUseException). */
  'conflict',
  /** Credentials refused (401/403, AuthFailure). */
  'unauthorized',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  /** `ec2`, `autoscaling`, `eks`, `events`, `arm`, `compute`, `kubernetes`, `prometheus`, or `*`. */
  service: string;
  /** The operation name (`ModifyFleet`, `SetDesiredCapacity`, `virtualMachineScaleSets.update`, `resize`, ...); any when absent. */
  operation?: string;
  kind: FaultKind;
  /** How many calls fail; default 1. */
  times?: number;
  /** For `timeout`: how long to hang before dropping the connection (default 2000 ms). */
  delayMs?: number;
  /**
   * For `timeout`: the request is served first (what it does is done), then its answer is lost the same way, so
   * that the caller cannot tell whether it was taken. Honoured by the AWS emulator; default false.
   */
  served?: boolean;
  /**
   * Only requests whose recorded params (`World.record`) this accepts: one call among others to the same
   * operation. Honoured by the AWS emulator; any request when absent.
   */
  matches?: (params: unknown) => boolean;
}

export interface Fault {
  kind: FaultKind;
  delayMs: number;
  served: boolean;
}

export class FaultInjector {
  private readonly pending: Array<
    Required<Omit<FaultSpec, 'operation' | 'matches'>> & Pick<FaultSpec, 'operation' | 'matches'>
  > = [];
  /** Faults that fired, for assertions. */
  readonly fired: Array<{ service: string; operation: string; kind: FaultKind }> = [];

  inject(spec: FaultSpec): void {
    this.pending.push({ times: 1, delayMs: 2000, served: false, ...spec });
  }

  /** Called by an emulator for every request: returns the fault to render, if one is armed for it. */
  take(service: string, operation: string, params?: unknown): Fault | undefined {
    const i = this.pending.findIndex(
      (f) =>
        (f.service === '*' || f.service === service) &&
        (f.operation === undefined || f.operation === operation) &&
        (f.matches === undefined || f.matches(params)),
    );
    if (i < 0) return undefined;
    const f = this.pending[i]!;
    f.times -= 1;
    if (f.times <= 0) this.pending.splice(i, 1);
    this.fired.push({ service, operation, kind: f.kind });
    return { kind: f.kind, delayMs: f.delayMs, served: f.served };
  }

  clear(): void {
    this.pending.length = 0;
    this.fired.length = 0;
  }

  get armed(): number {
    return this.pending.length;
  }
}
