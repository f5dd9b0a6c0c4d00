/**
 * What the receivers need from AWS: put entries on the autoscaler's bus, and claim a delivery id once (a
 * replayed delivery finds its id claimed). Implemented with the SDK in `aws.ts`, by fakes in unit tests.
 *
 * A claim is taken pending, with a lease that ends when the invocation holding it must have ended (its deadline
 * and a margin), and marked delivered once its entries are on the bus. A delivery that finds an id delivered is
 * a replay (answered as a duplicate, nothing forwarded); one that finds it pending within its lease is answered
 * with a retryable error (another invocation is forwarding it now, and may yet fail); one that finds the lease
 * over takes the claim over: the invocation that took it died (a timeout, a crash) before it forwarded the entry
 * or gave the claim back, and without the lease every retry of the sender would have been taken for a replay.
 */
export interface BusEntry {
  source: string;
  detailType: string;
  detail: unknown;
  /** The notice's own time, when it has one. */
  time?: Date;
}

/** The receivers' Lambda timeout (`stacks/receivers.ts`): Pub/Sub waits 10 s for a push's answer by default. */
export const RECEIVER_TIMEOUT_SECONDS = 10;
/** Added to a claim's lease for the clocks of two invocations to differ by (as a drain claim's). */
export const CLAIM_MARGIN_MS = 5_000;

/** When a claim is taken, until when its holder may be forwarding it, and when it is forgotten (TTL). */
export interface ClaimTimes {
  now: Date;
  leaseUntil: Date;
  expiresAt: Date;
}

/**
 * What a claim found: the id was free, or its holder's lease was over (`claimed`: this delivery forwards it);
 * delivered already (`delivered`: a replay); or pending within another invocation's lease (`in-flight`).
 */
export type ClaimResult = 'claimed' | 'delivered' | 'in-flight';

export interface ReceiverPorts {
  /** Puts every entry or throws (the sender then retries the whole delivery). */
  forward(entries: BusEntry[]): Promise<void>;
  /** Claims `id` of `kind` pending, unless it is delivered or pending within another's lease. */
  claim(kind: string, id: string, times: ClaimTimes): Promise<ClaimResult>;
  /** Marks a claim delivered (its entries are on the bus): its replays are duplicates until it expires. */
  complete(kind: string, id: string): Promise<void>;
  /** Gives a claim back when forwarding failed, so the sender's retry is not taken for a replay. */
  release(kind: string, id: string): Promise<void>;
  now(): Date;
  log(level: 'info' | 'warn', message: string, fields?: Record<string, unknown>): void;
}

/**
 * The claim times of a delivery received at `now`: the lease ends at the invocation's deadline (`remainingMs`
 * from now, or the receivers' timeout when unknown) and the margin; the claim is kept `keepMs`.
 */
export function claimTimes(now: Date, keepMs: number, remainingMs?: number): ClaimTimes {
  const left = remainingMs !== undefined && remainingMs >= 0 ? remainingMs : RECEIVER_TIMEOUT_SECONDS * 1000;
  return {
    now,
    leaseUntil: new Date(now.getTime() + left + CLAIM_MARGIN_MS),
    expiresAt: new Date(now.getTime() + keepMs),
  };
}

/**
 * Marks forwarded ids delivered. A failure is logged, not answered: the entries are on the bus. A claim left
 * pending lets a redelivery after its lease forward the entry again (at least once, as the bus's consumers
 * expect: they act once per notice), never lose it.
 */
export async function settle(ports: ReceiverPorts, kind: string, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    try {
      await ports.complete(kind, id);
    } catch (e) {
      ports.log('warn', 'forwarded, but the claim could not be marked delivered', { kind, id, error: String(e) });
    }
  }
}
