/**
 * The node agent's loop: poll each metadata service, put every notice not yet on the bus there, then let
 * the monitors acknowledge what their protocol expects (Azure's StartRequests, once the node is drained).
 * A notice is put once (its key is remembered); one that failed is put again on the next poll. A metadata
 * service that fails is logged and polled again: the loop never ends on an error.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DrainState } from './node.ts';
import type { Monitor, Notice } from './notice.ts';
import type { BusPublisher } from './publisher.ts';

export interface AgentLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface TickReport {
  sent: Notice[];
  failed: number;
  invalid: number;
  errors: string[];
  acknowledged: string[];
}

/**
 * The poll interval, 1 s by default: AWS recommends checking for spot notices every 5 s, and Azure's and GCP's
 * notices last 30 s, so each second of polling delay is a second less to drain.
 */
export const DEFAULT_INTERVAL_MS = 1_000;

export class NodeAgent {
  private readonly monitor: Monitor;
  private readonly publisher: Pick<BusPublisher, 'publish'>;
  private readonly drain: DrainState;
  private readonly logger: AgentLogger;
  private readonly intervalMs: number;
  /** Keys of the notices on the bus, and of those the functions' schema refuses (said once, never sent). */
  private readonly sentKeys = new Set<string>();
  /** Keys of the notices on the bus: what a monitor may acknowledge (`settle`). */
  private readonly onBus = new Set<string>();

  constructor(options: {
    monitor: Monitor;
    publisher: Pick<BusPublisher, 'publish'>;
    drain: DrainState;
    logger: AgentLogger;
    intervalMs?: number;
  }) {
    this.monitor = options.monitor;
    this.publisher = options.publisher;
    this.drain = options.drain;
    this.logger = options.logger;
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  }

  /** One poll: read, put what is new, acknowledge. */
  async tick(): Promise<TickReport> {
    const report: TickReport = { sent: [], failed: 0, invalid: 0, errors: [], acknowledged: [] };
    let notices: Notice[];
    try {
      notices = await this.monitor.poll();
    } catch (e) {
      report.errors.push(String(e instanceof Error ? e.message : e));
      this.logger.warn('metadata poll failed', { monitor: this.monitor.name, error: String(e) });
      return report;
    }
    const fresh = notices.filter((n) => !this.sentKeys.has(n.key));
    if (fresh.length > 0) {
      const r = await this.publisher.publish(fresh);
      for (const n of r.sent) {
        this.sentKeys.add(n.key);
        this.onBus.add(n.key);
        this.logger.info('notice put on the bus', { key: n.key, source: n.source, detailType: n.detailType });
      }
      for (const f of r.failed)
        this.logger.warn('notice not put; retrying on the next poll', { key: f.notice.key, error: f.error });
      for (const f of r.invalid) {
        // Never valid: remember it so that the log says it once, not every second.
        this.sentKeys.add(f.notice.key);
        this.logger.error('notice refused by the functions schema, not sent', { key: f.notice.key, error: f.error });
      }
      report.sent = r.sent;
      report.failed = r.failed.length;
      report.invalid = r.invalid.length;
    }
    if (this.monitor.settle) {
      try {
        report.acknowledged = await this.monitor.settle(() => this.drain.drained(), this.onBus);
        if (report.acknowledged.length) this.logger.info('events approved', { eventIds: report.acknowledged });
      } catch (e) {
        report.errors.push(String(e instanceof Error ? e.message : e));
        this.logger.warn('acknowledging failed; retrying on the next poll', { error: String(e) });
      }
    }
    return report;
  }

  /** Polls until `signal` aborts. A monitor that waits for changes is polled again at once. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = Date.now();
      const r = await this.tick();
      // A failing service is not hammered, even by a monitor that otherwise waits on the server.
      const rest = this.monitor.waits && r.errors.length === 0 ? 0 : this.intervalMs - (Date.now() - started);
      if (rest > 0) await sleep(rest, undefined, { signal }).catch(() => undefined);
    }
  }
}
