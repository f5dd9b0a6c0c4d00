/** Fake receiver ports: forwards recorded, claims in memory, a settable clock. */
import type { BusEntry, ReceiverPorts } from '../../shared/receivers/ports.ts';

export class FakePorts implements ReceiverPorts {
  forwarded: BusEntry[] = [];
  claims = new Map<string, Date>();
  logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  failForward = false;
  clock = new Date('2025-03-04T10:15:05Z');

  async forward(entries: BusEntry[]) {
    if (this.failForward) throw new Error('ThrottlingException: Rate exceeded');
    this.forwarded.push(...entries);
  }
  async claim(kind: string, id: string, expiresAt: Date) {
    const key = `${kind}/${id}`;
    if (this.claims.has(key)) return false;
    this.claims.set(key, expiresAt);
    return true;
  }
  async release(kind: string, id: string) {
    this.claims.delete(`${kind}/${id}`);
  }
  now() {
    return this.clock;
  }
  log(level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) {
    this.logs.push({ level, message, ...(fields ? { fields } : {}) });
  }
}
