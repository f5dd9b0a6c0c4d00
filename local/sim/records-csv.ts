/**
 * Records (JSON objects, Parquet rows) as CSV text, so that a trace in those formats is read as the CSV of its
 * scalar fields (trace-detect.ts). A field is scalar when it is a string, number, bigint or boolean, a date
 * (Parquet's timestamps, written as ISO-8601), or null; lists and nested objects are left out.
 */

/** Whether a field is written as a cell (see the file comment). */
const scalar = (v: unknown) => v === null || v instanceof Date || (typeof v !== 'object' && typeof v !== 'function');

/** Records as CSV rows of the first record's scalar fields, quoted where needed. */
export class RecordsCsv {
  private keys: string[] | undefined;
  private readonly out: string[] = [];

  add(record: Record<string, unknown>): void {
    if (!this.keys) {
      this.keys = Object.keys(record).filter((k) => scalar(record[k]));
      this.out.push(this.keys.map(cell).join(','));
    }
    this.out.push(this.keys.map((k) => cell(record[k])).join(','));
  }

  /** How many records were added. */
  get rows(): number {
    return Math.max(0, this.out.length - 1);
  }

  text(): string {
    return `${this.out.join('\n')}\n`;
  }
}

/** A field as a CSV cell: a date as ISO-8601 (empty if invalid), other objects empty, quoted where needed. */
export function cell(v: unknown): string {
  let x = '';
  if (v instanceof Date) x = Number.isNaN(v.getTime()) ? '' : v.toISOString();
  else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint')
    x = String(v);
  return /[",\r\n]/.test(x) ? `"${x.replace(/"/g, '""')}"` : x;
}
