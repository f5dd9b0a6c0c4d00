/** Fake receiver ports: forwards recorded, claims in memory (pending with a lease, or delivered), a settable clock. */
import type { BusEntry, ClaimResult, ClaimTimes, ReceiverPorts } from '../../shared/receivers/ports.ts';

export interface FakeClaim {
  state: 'pending' | 'delivered';
  leaseUntil: Date;
  expiresAt: Date;
}

export class FakePorts implements ReceiverPorts {
  forwarded: BusEntry[] = [];
  claims = new Map<string, FakeClaim>();
  logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  failForward = false;
  failComplete = false;
  clock = new Date('2025-03-04T10:15:05Z');

  async forward(entries: BusEntry[]) {
    if (this.failForward) throw new Error('ThrottlingException: Rate exceeded');
    this.forwarded.push(...entries);
  }
  async claim(kind: string, id: string, times: ClaimTimes): Promise<ClaimResult> {
    const key = `${kind}/${id}`;
    const held = this.claims.get(key);
    if (held?.state === 'delivered') return 'delivered';
    if (held && held.leaseUntil.getTime() >= times.now.getTime()) return 'in-flight';
    this.claims.set(key, { state: 'pending', leaseUntil: times.leaseUntil, expiresAt: times.expiresAt });
    return 'claimed';
  }
  async complete(kind: string, id: string) {
    if (this.failComplete) throw new Error('ProvisionedThroughputExceededException');
    const held = this.claims.get(`${kind}/${id}`);
    if (held) held.state = 'delivered';
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
