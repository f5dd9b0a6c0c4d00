/**
 * The chaos benchmark's result: one row per scenario with its figures and its counters of wrong outcomes;
 * a row passes (PASS) only when every counter is 0 and it ran (a row that could not run is a MISS with the
 * reason). One table, and a summary line last.
 */
export interface Row {
  /** Scenario, e.g. `hostile events`, `faults aws x throttle`. */
  name: string;
  /** What was done, in numbers: `12,418 events, 300 through the handler`. */
  scale: string;
  /** Counters of wrong outcomes (each must be 0), by name. */
  failures: Record<string, number>;
  /** Other figures worth printing (not judged): `p99 2.1 ms`. */
  figures?: string;
  /** Why the row could not run at all (a MISS). */
  error?: string;
}

export const pass = (r: Row): boolean => r.error === undefined && Object.values(r.failures).every((n) => n === 0);

const fmt = (n: number) => n.toLocaleString('en-US');

function failuresText(r: Row): string {
  if (r.error) return `could not run: ${r.error}`;
  return Object.entries(r.failures)
    .map(([k, n]) => `${k} ${fmt(n)}`)
    .join(', ');
}

/** The table as Markdown (what the README shows), one row per scenario, then the summary line. */
export function renderTable(rows: readonly Row[]): string {
  const head = ['scenario', 'scale', 'wrong outcomes (each must be 0)', 'figures', 'result'];
  const lines = [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map(
      (r) =>
        `| ${[r.name, r.scale, failuresText(r), r.figures ?? '', pass(r) ? 'PASS' : 'MISS']
          .map((c) => c.replace(/\|/g, '\\|'))
          .join(' | ')} |`,
    ),
  ];
  return `${lines.join('\n')}\n\n${summary(rows)}`;
}

export function summary(rows: readonly Row[]): string {
  const passed = rows.filter(pass).length;
  const wrong = rows.reduce((n, r) => n + Object.values(r.failures).reduce((a, b) => a + b, 0), 0);
  return `chaos: ${passed}/${rows.length} PASS, ${rows.length - passed} MISS, ${fmt(wrong)} wrong outcomes in all`;
}
