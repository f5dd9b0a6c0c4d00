/**
 * Typed errors. Adapters map every SDK error onto a `CloudError` of one kind, keep the cloud's own code and
 * the original error as `cause`, and say what was being done ("resizing gcp mig gpu-a: ...").
 * Callers test errors with the predicates below, never by matching message text.
 */
import type { Cloud } from './types.ts';

export const CLOUD_ERROR_KINDS = [
  'insufficient-capacity',
  'not-found',
  'throttled',
  'conflict',
  'unauthorized',
  'invalid',
  'transient',
] as const;
export type CloudErrorKind = (typeof CLOUD_ERROR_KINDS)[number];

/** Kinds worth retrying (by the adapter's own retry, or by Lambda's retry and then the dead-letter queue). */
const RETRYABLE: ReadonlySet<CloudErrorKind> = new Set(['throttled', 'transient', 'conflict']);

export interface CloudErrorInit {
  kind: CloudErrorKind;
  cloud: Cloud;
  /** What was being done, e.g. `resizing gcp mig gpu-l4`. */
  operation: string;
  /** The cloud's own error code (`InsufficientInstanceCapacity`, `ZONE_RESOURCE_POOL_EXHAUSTED`, 429...). */
  code?: string;
  /** HTTP status, when there was one. */
  status?: number;
  message?: string;
  cause?: unknown;
  /** Attempts made before giving up, when the adapter retried (the message then says so). */
  attempts?: number;
}

export class CloudError extends Error {
  readonly kind: CloudErrorKind;
  readonly cloud: Cloud;
  readonly operation: string;
  readonly code?: string;
  readonly status?: number;
  /** Attempts made (1 unless the adapter retried). */
  readonly attempts: number;
  readonly #init: CloudErrorInit;

  constructor(init: CloudErrorInit) {
    const cause = init.message ?? (init.cause instanceof Error ? init.cause.message : String(init.cause ?? ''));
    const tried = init.attempts !== undefined && init.attempts > 1 ? `gave up after ${init.attempts} attempts` : '';
    const detail = [tried, cause].filter(Boolean).join(': ');
    super(`${init.operation}: ${init.kind}${init.code ? ` (${init.code})` : ''}${detail ? `: ${detail}` : ''}`, {
      cause: init.cause,
    });
    this.#init = init;
    this.attempts = init.attempts ?? 1;
    this.name = 'CloudError';
    this.kind = init.kind;
    this.cloud = init.cloud;
    this.operation = init.operation;
    this.code = init.code;
    this.status = init.status;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }

  /** The same error, saying it was the last of `attempts` attempts (kept as it is when it already says more). */
  afterAttempts(attempts: number): CloudError {
    return attempts <= this.attempts ? this : new CloudError({ ...this.#init, attempts });
  }
}

export const isCloudError = (e: unknown): e is CloudError => e instanceof CloudError;

/**
 * The message of anything thrown (for logs and audit records): an Error's own, else the value as a string; a
 * value `String` cannot convert (an object without a prototype, a throwing `toString`) as its JSON, else its
 * tag. Never throws.
 */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  try {
    return String(e);
  } catch {
    try {
      return JSON.stringify(e) ?? Object.prototype.toString.call(e);
    } catch {
      return Object.prototype.toString.call(e);
    }
  }
}

/**
 * A publish on the bus that left some entries off it: `refused` are their positions in the list published
 * (ascending), every other entry was accepted. A `CloudError` of the bus's kind and code (the first entry's
 * failure that a retry would not cure wins the kind); `cause` holds each refused entry's failure, or the error
 * of the call that failed whole. Thrown by every `EventsPort` (the EventBridge adapter, the tests' fake), so
 * that a caller acts again only for the entries refused (`EventsPort.publish`).
 */
export class PartialPublishError extends CloudError {
  /** Positions of the entries not known to be on the bus, ascending. */
  readonly refused: readonly number[];
  /**
   * Of `refused`, the positions whose fate is not known, ascending: the call that carried them failed without
   * the bus's answer (a timeout, a reset connection), or after an attempt that may have been taken. They may be
   * on the bus. The others the bus answered it refused.
   */
  readonly unknown: readonly number[];
  /** How many entries were published. */
  readonly total: number;
  constructor(init: CloudErrorInit & { refused: readonly number[]; unknown?: readonly number[]; total: number }) {
    const { refused, unknown, total, ...rest } = init;
    super(rest);
    this.name = 'PartialPublishError';
    this.refused = [...refused].sort((a, b) => a - b);
    const all = new Set(this.refused);
    this.unknown = [...(unknown ?? [])].filter((i) => all.has(i)).sort((a, b) => a - b);
    this.total = total;
  }
}
export const isPartialPublish = (e: unknown): e is PartialPublishError => e instanceof PartialPublishError;
const isKind =
  (kind: CloudErrorKind) =>
  (e: unknown): e is CloudError =>
    isCloudError(e) && e.kind === kind;
export const isInsufficientCapacity = isKind('insufficient-capacity');
export const isNotFound = isKind('not-found');
export const isThrottled = isKind('throttled');
export const isConflict = isKind('conflict');
export const isTransient = isKind('transient');
/** True for errors a retry may cure: throttling, transient faults, optimistic-concurrency conflicts. */
export const isRetryable = (e: unknown): boolean => isCloudError(e) && e.retryable;
/** For a recorded failure (audit records keep the kind, not the error): is its kind worth a retry? */
export const isRetryableKind = (kind: string | undefined): boolean =>
  kind !== undefined && RETRYABLE.has(kind as CloudErrorKind);

/**
 * A removal ended its instance, but the warm pool's floor it raised for the time of the removal could not be
 * set back (the cloud kept refusing after the adapter's retries). Kept apart from the removal's outcome (it
 * succeeded: the instance is gone); says which floor the pool had before (`originalMinSize`), so that whoever
 * reads it can set that one back rather than the temporary one (`temporaryMinSize`) the pool still has.
 */
export class WarmFloorNotRestoredError extends Error {
  readonly cloud: Cloud;
  /** The pool's resource (an Auto Scaling group's name). */
  readonly resource: string;
  /** The floor to set back: the engine's `warm.min` when given, else the one the pool had before the removal. */
  readonly originalMinSize: number;
  /** The floor the pool was left with. */
  readonly temporaryMinSize: number;
  constructor(init: {
    cloud: Cloud;
    resource: string;
    originalMinSize: number;
    temporaryMinSize: number;
    cause: unknown;
  }) {
    const why = init.cause instanceof Error ? init.cause.message : String(init.cause);
    super(
      `the warm pool of ${init.resource} keeps MinSize ${init.temporaryMinSize} instead of ${init.originalMinSize} ` +
        `after a removal (the next removal or warm-pool change sets ${init.originalMinSize} back): ${why}`,
      { cause: init.cause },
    );
    this.name = 'WarmFloorNotRestoredError';
    this.cloud = init.cloud;
    this.resource = init.resource;
    this.originalMinSize = init.originalMinSize;
    this.temporaryMinSize = init.temporaryMinSize;
  }
}

/** A raw event that does not match its schema. Never retried: recorded with its reason and acknowledged. */
export class ParseError extends Error {
  /** e.g. `aws.ec2 / EC2 Spot Instance Interruption Warning`. */
  readonly source: string;
  /** Dotted path of the offending field, e.g. `detail.instance-id`. */
  readonly path: string;
  /** What was expected there. */
  readonly expected: string;
  /** A short description of what was received, when known. */
  readonly received?: string;

  constructor(source: string, path: string, expected: string, options?: { cause?: unknown; received?: string }) {
    super(
      `${source}: invalid event at ${path || '(root)'}: expected ${expected}${options?.received ? `, got ${options.received}` : ''}`,
      { cause: options?.cause },
    );
    this.name = 'ParseError';
    this.source = source;
    this.path = path;
    this.expected = expected;
    if (options?.received !== undefined) this.received = options.received;
  }
}
export const isParseError = (e: unknown): e is ParseError => e instanceof ParseError;

/** Configuration that does not validate. Says which file and field. */
export class ConfigError extends Error {
  /** The first issue's field path (`fleets[0].pools[2].max`; '' for the whole document). */
  readonly path: string;
  /** Every issue found, in document order (one for errors found one at a time). */
  readonly issues: ReadonlyArray<{ path: string; message: string }>;
  constructor(
    where: string,
    path: string,
    message: string,
    more: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    const issues = [{ path, message }, ...more];
    super(
      issues.length === 1
        ? `${where}: ${path || '(root)'}: ${message}`
        : `${where}: ${issues.length} problems:\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.path = path;
    this.issues = issues;
  }

  /** One error listing every issue; `issues` must not be empty. */
  static of(where: string, issues: ReadonlyArray<{ path: string; message: string }>): ConfigError {
    const [first, ...more] = issues;
    return new ConfigError(where, first!.path, first!.message, more);
  }
}
