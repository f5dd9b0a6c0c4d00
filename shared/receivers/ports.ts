/**
 * What the receivers need from AWS: put entries on the autoscaler's bus, and claim a delivery id once (a
 * replayed delivery finds its id claimed). Implemented with the SDK in `aws.ts`, by fakes in unit tests.
 */
export interface BusEntry {
  source: string;
  detailType: string;
  detail: unknown;
  /** The notice's own time, when it has one. */
  time?: Date;
}

export interface ReceiverPorts {
  /** Puts every entry or throws (the sender then retries the whole delivery). */
  forward(entries: BusEntry[]): Promise<void>;
  /** True the first time `id` of `kind` is claimed (until `expiresAt`), false for a replay. */
  claim(kind: string, id: string, expiresAt: Date): Promise<boolean>;
  /** Gives a claim back when forwarding failed, so the sender's retry is not taken for a replay. */
  release(kind: string, id: string): Promise<void>;
  now(): Date;
  log(level: 'info' | 'warn', message: string, fields?: Record<string, unknown>): void;
}
