/**
 * Async operations, as Microsoft.Compute tracks them: a write is accepted with an `Azure-AsyncOperation` URL
 * (`/subscriptions/{sub}/providers/Microsoft.Compute/locations/{loc}/operations/{id}`) whose GET answers
 * `{ startTime, status: 'InProgress', name }` until the operation ends `Succeeded`, `Failed` (with `error`) or
 * `Canceled`. Here an operation ends on its N-th status poll (N settable), so tests see InProgress first
 * when they ask for it and the simulation is not slowed down by it.
 */
import type { ArmError } from './errors.ts';
import { uuidFrom } from './resources.ts';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface AsyncOperation {
  id: string;
  subscription: string;
  location: string;
  /** Lower-cased id of the resource the operation changes. */
  resourceId: string;
  startTime: string;
  endTime?: string;
  status: OperationStatus;
  /** Status polls left before the operation ends. */
  pollsLeft: number;
  /** How it ends: an error makes it Failed. */
  error?: ArmError;
}

export class OperationStore {
  private readonly ops = new Map<string, AsyncOperation>();
  private seq = 0;

  create(init: {
    subscription: string;
    location: string;
    resourceId: string;
    now: string;
    polls: number;
    error?: ArmError;
  }): AsyncOperation {
    this.seq += 1;
    const op: AsyncOperation = {
      id: uuidFrom(`operation:${this.seq}:${init.resourceId}`),
      subscription: init.subscription,
      location: init.location,
      resourceId: init.resourceId.toLowerCase(),
      startTime: init.now,
      status: 'InProgress',
      pollsLeft: Math.max(1, init.polls),
      error: init.error,
    };
    this.ops.set(op.id, op);
    return op;
  }

  get(subscription: string, id: string): AsyncOperation | undefined {
    const op = this.ops.get(id);
    return op && op.subscription.toLowerCase() === subscription.toLowerCase() ? op : undefined;
  }

  /** One status poll: counts down and ends the operation on its last poll. */
  poll(op: AsyncOperation, now: string): AsyncOperation {
    if (op.status !== 'InProgress') return op;
    op.pollsLeft -= 1;
    if (op.pollsLeft <= 0) {
      op.status = op.error ? 'Failed' : 'Succeeded';
      op.endTime = now;
    }
    return op;
  }

  /** Whether a write on the resource is still running (the resource then says `Updating`). */
  inProgress(resourceId: string): boolean {
    const id = resourceId.toLowerCase();
    for (const op of this.ops.values()) if (op.resourceId === id && op.status === 'InProgress') return true;
    return false;
  }

  /** The body of the status URL, in ARM's shape. */
  static body(op: AsyncOperation): Record<string, unknown> {
    const body: Record<string, unknown> = { startTime: op.startTime };
    if (op.endTime) body.endTime = op.endTime;
    body.status = op.status;
    if (op.status === 'Failed' && op.error) body.error = op.error;
    body.name = op.id;
    return body;
  }
}
