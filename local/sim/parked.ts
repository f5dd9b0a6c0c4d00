/**
 * Invocations that wait on the simulated clock. The runner's clock stands still while a handler runs (see
 * controller.ts), so a drain that waits for its latest safe start (shared/app/execute.ts `drainStart`: the
 * node under notice keeps serving until then) cannot wait inside one call. The application says when an
 * invocation has nothing left to do but wait for its drains (`AppDeps.parked`); its drains wait through
 * `AppDeps.waitUntil`. Then:
 *
 * - `run` follows an invocation until it ends, or until it is parked: every drain of it either over or
 *   waiting for its start (drains already evicting are followed to their end first);
 * - `resume`, at each later step, lets go the drains whose start has come (the clock is at or past it: a
 *   start between two steps is taken at the next one, as the physics reads who serves at each step's start),
 *   follows them to their end, and then follows the invocation on (the instances' removals under the lease,
 *   the audit record), one invocation at a time and in the order they were parked, so that a run stays
 *   deterministic;
 * - `finish` lets every wait go, at the end of a run.
 */
import type { PendingDrain } from '../../shared/app/drains.ts';

export type Outcome<T> = { result: T; error?: undefined } | { error: unknown; result?: undefined };

interface Waiter {
  at: number;
  /** The invocation that waits (0: none known). */
  owner: number;
  resolve: () => void;
}

interface ParkedRun<T> {
  id: number;
  run: Promise<Outcome<T>>;
  drains: readonly PendingDrain[];
  onEnd: (o: Outcome<T>) => void;
}

export class SimulatedWaits<T> {
  private waiters: Waiter[] = [];
  private parkedRuns: Array<ParkedRun<T>> = [];
  /** The invocation being followed (0: none). */
  private owner = 0;
  private nextId = 1;
  private signal: ((drains: readonly PendingDrain[]) => void) | undefined;
  /** Drains an invocation said it waits for before it was followed (it said so without waiting first). */
  private told: readonly PendingDrain[] | undefined;

  /** The application's clock (ms). */
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /** `AppDeps.waitUntil`: resolved by `resume` once the clock is at `at` (at once when it already is). */
  readonly waitUntil = (at: number): Promise<void> => {
    if (at <= this.now()) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push({ at, owner: this.owner, resolve }));
  };

  /** `AppDeps.parked`: the invocation being followed waits for these drains only. */
  readonly parked = (drains: readonly PendingDrain[]): void => {
    const signal = this.signal;
    this.signal = undefined;
    if (signal) signal(drains);
    else this.told = drains;
  };

  /** Invocations parked now. */
  get waiting(): number {
    return this.parkedRuns.length;
  }

  /**
   * Runs an invocation until it ends (`onEnd` is called, and true returned) or is parked (false: `onEnd` is
   * called when it ends, during a later `resume` or `finish`).
   */
  async run(start: () => Promise<T>, onEnd: (o: Outcome<T>) => void): Promise<boolean> {
    const id = this.nextId++;
    this.owner = id;
    const run = (async () => start())().then(
      (result): Outcome<T> => ({ result }),
      (error: unknown): Outcome<T> => ({ error }),
    );
    const drains = await this.follow(id, run);
    if (drains) {
      this.parkedRuns.push({ id, run, drains, onEnd });
      return false;
    }
    onEnd(await run);
    return true;
  }

  /** Lets go the drains whose start has come (at `now`), then follows their invocations on. */
  async resume(now = this.now()): Promise<void> {
    for (const p of [...this.parkedRuns]) {
      const due = this.waiters.filter((w) => w.owner === p.id && w.at <= now);
      if (due.length === 0) continue;
      const drains = p.drains.filter((d) => d.waitingUntil !== undefined && d.waitingUntil <= now);
      this.waiters = this.waiters.filter((w) => !due.includes(w));
      this.owner = p.id;
      for (const w of due) w.resolve();
      await Promise.all(drains.map((d) => d.done));
      if (p.drains.some((d) => !d.settled)) continue;
      const again = await this.follow(p.id, p.run);
      if (again) {
        p.drains = again;
        continue;
      }
      this.parkedRuns = this.parkedRuns.filter((q) => q !== p);
      p.onEnd(await p.run);
    }
    this.owner = 0;
  }

  /** Lets every wait go (the end of a run): each parked invocation is followed to its end. */
  async finish(): Promise<void> {
    for (let i = 0; i < 100 && this.parkedRuns.length > 0; i++) await this.resume(Number.POSITIVE_INFINITY);
    // Waits no invocation owns (none in practice) are let go too.
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  /**
   * Follows invocation `id` until it ends (undefined) or waits only for drains that wait for their start
   * (those drains).
   */
  private async follow(id: number, run: Promise<Outcome<T>>): Promise<readonly PendingDrain[] | undefined> {
    this.owner = id;
    try {
      for (;;) {
        const told = this.told;
        this.told = undefined;
        const signalled = told
          ? Promise.resolve(told)
          : new Promise<readonly PendingDrain[]>((resolve) => {
              this.signal = resolve;
            });
        const r = await Promise.race([run.then(() => undefined), signalled]);
        this.signal = undefined;
        if (r === undefined) return undefined;
        // Drains already evicting are followed to their end; parked when one still waits for its start.
        await Promise.all(r.filter((d) => !d.settled && d.waitingUntil === undefined).map((d) => d.done));
        if (r.some((d) => !d.settled)) return r;
      }
    } finally {
      this.owner = 0;
    }
  }
}
