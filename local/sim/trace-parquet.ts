/**
 * Parquet traces (`.parquet`): public request logs and aggregates are often published so (Hugging Face's
 * dataset viewer converts every dataset to it). Rows are read with hyparquet, a pure JavaScript reader
 * without dependencies, every compression codec with hyparquet-compressors (Snappy, the writers' default, is
 * built in; zstd, gzip, Brotli, LZ4), and become the CSV of their scalar columns (`RecordsCsv`), which
 * trace-detect.ts reads as it reads a CSV: a timestamp column (Parquet's TIMESTAMP, a `Date` here) as
 * ISO-8601 UTC, a numeric time by its name or its size. Both packages are loaded on the first Parquet file
 * only. The whole file is read into memory, a row at a time into the CSV; a log of tens of millions of rows
 * needs several GB (a CSV log is read a line at a time: trace-detect.ts `streamedLog`).
 */
import { TraceError } from './trace.ts';
import { RecordsCsv } from './records-csv.ts';

/** A Parquet file's rows as CSV text (`RecordsCsv`), or a `TraceError` naming the file and why it is not one. */
export async function parquetAsCsv(file: string, shownAs = file): Promise<string> {
  const [{ asyncBufferFromFile, parquetReadObjects }, { compressors }] = await Promise.all([
    import('hyparquet'),
    import('hyparquet-compressors'),
  ]);
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors });
  } catch (e) {
    throw new TraceError(shownAs, `cannot read the trace as Parquet: ${(e as Error).message}`);
  }
  const records = new RecordsCsv();
  for (const r of rows) records.add(r);
  if (records.rows === 0) throw new TraceError(shownAs, 'expected rows in the Parquet file, found none');
  return records.text();
}
