/**
 * Parquet traces (`.parquet`): public request logs and aggregates are often published so (Hugging Face's
 * dataset viewer converts every dataset to it). Read with hyparquet, a pure JavaScript reader without
 * dependencies, every compression codec with hyparquet-compressors (Snappy, the writers' default, is built
 * in; zstd, gzip, Brotli, LZ4). Both packages are loaded on the first Parquet file only. A file is opened once
 * (`openParquet`: its footer read and parsed once), then trace-detect.ts (`readParquet`) picks the columns to
 * read from the names (`columns`), so a log's token counts, models and ids are never decoded, and reads their
 * rows (`rows`: a timestamp column, Parquet's TIMESTAMP, comes as a `Date`, an INT64 as a `bigint`), or a log's
 * time column alone, a chunk at a time (`columnValues`).
 */
import { TraceError } from './trace.ts';

/** A Parquet file opened for reading (`openParquet`). */
export interface ParquetTrace {
  /** The names of its top-level columns. */
  columns: string[];
  /** Its rows as objects of `columns` (all of them without), up to `rowEnd` (all without). */
  rows(columns?: readonly string[], rowEnd?: number): Promise<Record<string, unknown>[]>;
  /**
   * Every value of one column, a chunk at a time as the reader decodes it (`onValues(values, firstRow)`, in any
   * order), without rows: a log of tens of millions of requests costs its time column's chunks, not an object
   * per row. Timestamps (TIMESTAMP, in any unit) and dates come as epoch milliseconds (numbers), not `Date`s.
   */
  columnValues(column: string, onValues: (values: ArrayLike<unknown>, firstRow: number) => void): Promise<void>;
}

/** A `TraceError` naming the file, for whatever the reader threw. */
function notParquet(shownAs: string, e: unknown): TraceError {
  return new TraceError(shownAs, `cannot read the trace as Parquet: ${(e as Error).message}`);
}

/** Opens a Parquet file: its footer read once, for every read after. Not Parquet: a `TraceError` naming it. */
export async function openParquet(file: string, shownAs = file): Promise<ParquetTrace> {
  const [
    { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetReadObjects, parquetSchema },
    { compressors },
  ] = await Promise.all([import('hyparquet'), import('hyparquet-compressors')]);
  let source: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    source = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(source);
  } catch (e) {
    throw notParquet(shownAs, e);
  }
  return {
    columns: parquetSchema(metadata).children.map((c) => c.element.name),
    async rows(columns, rowEnd) {
      try {
        return await parquetReadObjects({
          file: source,
          metadata,
          compressors,
          ...(columns ? { columns: [...columns] } : {}),
          ...(rowEnd !== undefined ? { rowEnd } : {}),
        });
      } catch (e) {
        throw notParquet(shownAs, e);
      }
    },
    async columnValues(column, onValues) {
      let thrown: unknown;
      try {
        await parquetRead({
          file: source,
          metadata,
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
    },
  };
}
