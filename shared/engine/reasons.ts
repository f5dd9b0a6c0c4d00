/**
 * The explanation being built for one decision. Each step of the engine appends what it did and why, in
 * order; the plan carries the list as `reasons`.
 */
import type { Reason, ReasonKind } from './types.ts';

export class Reasons {
  readonly list: Reason[] = [];

  add(kind: ReasonKind, code: string, message: string, extra?: Omit<Reason, 'kind' | 'code' | 'message'>): void {
    this.list.push({ kind, code, message, ...extra });
  }

  /** A limit that changed the count: records before, after and what clipped it. No-op when nothing changed. */
  clip(kind: ReasonKind, code: string, before: number, after: number, clippedBy: string, message: string): number {
    if (before !== after) this.list.push({ kind, code, message, before, after, clippedBy });
    return after;
  }

  has(code: string): boolean {
    return this.list.some((r) => r.code === code);
  }
}
