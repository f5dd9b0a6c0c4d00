/**
 * Progress of a run on standard error: a bar redrawn in place on a terminal, otherwise a line now and then
 * (every 10% of the whole run), so that logs of a CI job stay short.
 */
import type { Progress } from './runner.ts';

export interface ProgressSink {
  /** Raw writes to a terminal (no newline added); absent when standard error is not a terminal. */
  tty?: { write: (text: string) => void; columns?: number };
  /** Line writes. */
  line: (text: string) => void;
}

export interface ProgressReporter {
  update: (p: Progress) => void;
  /** Ends the bar (a newline on a terminal). */
  done: () => void;
}

export function createProgressReporter(sink: ProgressSink, now: () => number = Date.now): ProgressReporter {
  let lastDrawn = -1;
  let lastTenth = -1;
  let lastDrawAt = 0;
  let drew = false;
  return {
    update(p) {
      const overall = (p.index + p.step / p.steps) / p.count;
      const percent = Math.floor(overall * 100);
      if (sink.tty) {
        const t = now();
        if (percent === lastDrawn && t - lastDrawAt < 100 && p.step !== p.steps) return;
        lastDrawn = percent;
        lastDrawAt = t;
        const width = Math.max(10, Math.min(40, (sink.tty.columns ?? 80) - 50));
        const filled = Math.round(overall * width);
        const label = `${p.controller} (${p.index + 1}/${p.count}) ${p.step}/${p.steps}`;
        sink.tty.write(
          `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${label}\u001b[K`,
        );
        drew = true;
        return;
      }
      const tenth = Math.floor(overall * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        sink.line(`simulate: ${tenth * 10}% (${p.controller} ${p.step}/${p.steps})`);
      }
    },
    done() {
      if (sink.tty && drew) sink.tty.write('\n');
    },
  };
}
