/**
 * What a monitor hands the agent: one notice, as the EventBridge entry it becomes (`source`, `detail-type`,
 * `detail`), and a key that stays the same for every poll that sees the same notice, so it is put once.
 */
export interface Notice {
  /** Stable across polls of one notice (`spot:2025-03-04T10:17:00Z`, `azure:7`, ...). */
  key: string;
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

/** A metadata service the agent polls. */
export interface Monitor {
  readonly name: string;
  /**
   * The notices present now (already sent ones included: the agent drops what it has put). Throws a
   * `MetadataError` when the metadata service cannot be read; the agent logs it and polls again.
   */
  poll(): Promise<Notice[]>;
  /**
   * Whether `poll` itself waits for a change (GCE's `wait_for_change`): the agent then polls again at once
   * instead of sleeping.
   */
  readonly waits?: boolean;
  /**
   * Called after each poll once the notices are on the bus: a monitor whose protocol expects an
   * acknowledgement (Azure's `StartRequests`) sends it here when `drained()` says the node is empty, for what
   * a notice put on the bus holds (`onBus`: the keys of every notice put so far), never for a notice the bus
   * refused or the functions' schema would refuse.
   */
  settle?(drained: () => Promise<boolean>, onBus: ReadonlySet<string>): Promise<string[]>;
}

/** A metadata service answered with something other than what its protocol says. */
export class MetadataError extends Error {
  readonly service: string;
  readonly status?: number;
  constructor(service: string, message: string, options?: { status?: number; cause?: unknown }) {
    super(`${service}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MetadataError';
    this.service = service;
    if (options?.status !== undefined) this.status = options.status;
  }
}

export const isMetadataError = (e: unknown): e is MetadataError => e instanceof MetadataError;

/** GET/PUT/POST with a timeout: the metadata services answer in milliseconds or not at all. */
export async function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs: number; signal?: AbortSignal },
): Promise<{ status: number; text: string; headers: Headers }> {
  const timeout = AbortSignal.timeout(init.timeoutMs);
  const signal = init.signal ? AbortSignal.any([timeout, init.signal]) : timeout;
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    ...(init.headers ? { headers: init.headers } : {}),
    ...(init.body !== undefined ? { body: init.body } : {}),
    signal,
    redirect: 'error',
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** A JSON body, or a MetadataError naming the service and what it was reading. */
export function parseJson(service: string, what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MetadataError(service, `${what} is not JSON (${text.slice(0, 40)})`, { cause: e });
  }
}
