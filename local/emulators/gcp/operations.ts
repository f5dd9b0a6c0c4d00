/**
 * Compute operations kept by the emulator: created RUNNING by a mutating call, DONE after a settable
 * number of polls (`operations.get` or `operations.wait`), with `error` when they were set to fail.
 * A repeated `requestId` in the same project gets the operation it created the first time, as Compute does.
 */
import type { World } from '../world.ts';
import type { OperationFailure } from './errors.ts';
import { API, numericId } from './resources.ts';

export interface OperationScope {
  project: string;
  zone?: string;
  region?: string;
}

interface StoredOperation {
  scope: OperationScope;
  pollsLeft: number;
  failure?: OperationFailure;
  json: Record<string, unknown>;
}

export class OperationStore {
  private readonly ops = new Map<string, StoredOperation>();
  private readonly byRequestId = new Map<string, string>();
  private seq = 0;
  private readonly world: World;
  private readonly pollsToDone: number;

  constructor(world: World, pollsToDone: number) {
    this.world = world;
    this.pollsToDone = pollsToDone;
  }

  /** The operation an earlier call with this requestId created, if any. */
  forRequestId(project: string, requestId: string | undefined): Record<string, unknown> | undefined {
    if (!requestId) return undefined;
    const name = this.byRequestId.get(`${project}|${requestId}`);
    return name ? this.ops.get(name)?.json : undefined;
  }

  create(init: {
    scope: OperationScope;
    operationType: string;
    targetLink: string;
    targetId: string;
    requestId?: string;
    failure?: OperationFailure;
  }): Record<string, unknown> {
    this.seq += 1;
    const now = this.world.now();
    const name = `operation-${now}-${numericId(`op/${this.seq}`).slice(0, 13)}-${numericId(`op-b/${this.seq}`).slice(0, 8)}-${numericId(`op-c/${this.seq}`).slice(0, 8)}`;
    const { project, zone, region } = init.scope;
    const where = zone
      ? { zone: `${API}/projects/${project}/zones/${zone}` }
      : { region: `${API}/projects/${project}/regions/${region}` };
    const location = zone ? `zones/${zone}` : `regions/${region}`;
    const json: Record<string, unknown> = {
      kind: 'compute#operation',
      id: numericId(`operation/${name}`),
      name,
      ...where,
      operationType: init.operationType,
      targetLink: init.targetLink,
      targetId: init.targetId,
      status: 'RUNNING',
      user: `autoscaler@${project}.iam.gserviceaccount.com`,
      progress: 0,
      insertTime: this.world.nowIso(),
      startTime: this.world.nowIso(),
      selfLink: `${API}/projects/${project}/${location}/operations/${name}`,
    };
    if (init.requestId) json.clientOperationId = init.requestId;
    const op: StoredOperation = { scope: init.scope, pollsLeft: this.pollsToDone, failure: init.failure, json };
    this.ops.set(name, op);
    if (init.requestId) this.byRequestId.set(`${project}|${init.requestId}`, name);
    if (op.pollsLeft <= 0) this.finish(op);
    return json;
  }

  /** Finds an operation in its zone or region; undefined if there is none there. */
  find(scope: OperationScope, name: string): Record<string, unknown> | undefined {
    const op = this.ops.get(name);
    if (!op) return undefined;
    const s = op.scope;
    if (s.project !== scope.project || s.zone !== scope.zone || s.region !== scope.region) return undefined;
    return op.json;
  }

  /** One poll: moves the operation towards DONE and returns it. */
  poll(name: string): Record<string, unknown> {
    const op = this.ops.get(name)!;
    if (op.json.status !== 'DONE') {
      op.pollsLeft -= 1;
      if (op.pollsLeft <= 0) this.finish(op);
    }
    return op.json;
  }

  /** Ends a running operation now with an error (a fault injected on the poll). */
  fail(name: string, failure: OperationFailure): Record<string, unknown> {
    const op = this.ops.get(name)!;
    if (op.json.status !== 'DONE') {
      op.failure = failure;
      this.finish(op);
    }
    return op.json;
  }

  isDone(name: string): boolean {
    return this.ops.get(name)?.json.status === 'DONE';
  }

  private finish(op: StoredOperation): void {
    op.json.status = 'DONE';
    op.json.progress = 100;
    op.json.endTime = this.world.nowIso();
    if (op.failure) {
      op.json.error = { errors: op.failure.errors };
      op.json.httpErrorStatusCode = op.failure.httpErrorStatusCode;
      op.json.httpErrorMessage = op.failure.httpErrorMessage;
    }
  }
}
