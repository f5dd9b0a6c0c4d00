/**
 * Parquet traces (`.parquet`): public request logs and aggregates are often published so (Hugging Face's
 * dataset viewer converts every dataset to it). Read with hyparquet, a pure JavaScript reader without
 * dependencies, every compression codec with hyparquet-compressors (Snappy, the writers' default, is built
 * in; zstd, gzip, Brotli, LZ4). Both packages are loaded on the first Parquet file only. trace-detect.ts
 * (`readParquet`) picks the columns to read from the names (`parquetColumns`), so a log's token counts, models
 * and ids are never decoded, and reads their rows (`parquetRows`: a timestamp column, Parquet's TIMESTAMP, comes
 * as a `Date`, an INT64 as a `bigint`), or a log's time column alone, a chunk at a time (`parquetColumnValues`).
 */
import { TraceError } from './trace.ts';

const load = () => Promise.all([import('hyparquet'), import('hyparquet-compressors')]);

/** A `TraceError` naming the file, for whatever the reader threw. */
function notParquet(shownAs: string, e: unknown): TraceError {
  return new TraceError(shownAs, `cannot read the trace as Parquet: ${(e as Error).message}`);
}

/** The names of a Parquet file's top-level columns, from its footer alone. */
export async function parquetColumns(file: string, shownAs = file): Promise<string[]> {
  const [{ asyncBufferFromFile, parquetMetadataAsync, parquetSchema }] = await load();
  try {
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
    return parquetSchema(metadata).children.map((c) => c.element.name);
  } catch (e) {
    throw notParquet(shownAs, e);
  }
}

/** The rows of a Parquet file as objects of `columns` (all of them without), up to `rowEnd` (all without). */
export async function parquetRows(
  file: string,
  shownAs = file,
  columns?: readonly string[],
  rowEnd?: number,
): Promise<Record<string, unknown>[]> {
  const [{ asyncBufferFromFile, parquetReadObjects }, { compressors }] = await load();
  try {
    return await parquetReadObjects({
      file: await asyncBufferFromFile(file),
      compressors,
      ...(columns ? { columns: [...columns] } : {}),
      ...(rowEnd !== undefined ? { rowEnd } : {}),
    });
  } catch (e) {
    throw notParquet(shownAs, e);
  }
}

/**
 * Every value of one column, a chunk at a time as the reader decodes it (`onValues(values, firstRow)`, in any
 * order), without rows: a log of tens of millions of requests costs its time column's chunks, not an object
 * per row. Timestamps (TIMESTAMP, in any unit) and dates come as epoch milliseconds (numbers), not `Date`s.
 */
export async function parquetColumnValues(
  file: string,
  column: string,
  onValues: (values: ArrayLike<unknown>, firstRow: number) => void,
  shownAs = file,
): Promise<void> {
  const [{ asyncBufferFromFile, parquetRead }, { compressors }] = await load();
  let thrown: unknown;
  try {
    await parquetRead({
      file: await asyncBufferFromFile(file),
      compressors,
      columns: [column],
      parsers: {
        timestampFromMilliseconds: (ms: bigint) => Number(ms),
        timestampFromMicroseconds: (us: bigint) => Number(us) / 1e3,
        timestampFromNanoseconds: (ns: bigint) => Number(ns) / 1e6,
        dateFromDays: (days: number) => days * 86_400_000,
      },
      onChunk: (chunk) => {
        // An error of the caller's (a value that is no time) ends the read with it, not as the reader's.
        if (thrown !== undefined) return;
        try {
          onValues(chunk.columnData, chunk.rowStart);
        } catch (e) {
          thrown = e;
        }
      },
    });
  } catch (e) {
    throw notParquet(shownAs, e);
  }
  if (thrown !== undefined) throw thrown;
}
