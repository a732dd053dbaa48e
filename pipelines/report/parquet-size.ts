/**
 * How much a run folder's Parquet file would decode to, judged from its footer (hyparquet's reader of
 * the metadata) before anything is decoded: a file of a few KB can declare millions of rows or
 * gigabytes of pages, and parquet-wasm would build all of it before the report could look.
 *
 * Not caught here: a string column whose dictionary page holds a long entry that every row refers to
 * (a 20 KB order id in 200,000 rows decodes to 4 GB from an 11 KB file). The footer does not say how
 * long the entries are; telling would mean decoding the dictionary pages ourselves.
 */
import { parquetMetadata } from 'hyparquet';

/**
 * At most 10 million rows in a run file. A 40-symbol × 250-day run (the default run's 40 symbols × 20
 * days, 12.5 times longer) writes about 12.5 × 51,530 = 644k order states, 12.5 × 43,583 = 545k cost
 * rows, 12.5 × 42,863 = 536k fills and 12.5 × 25,555 = 319k portfolio states: its largest file has
 * about a fifteenth of this.
 */
export const MAX_RUN_FILE_ROWS = 10_000_000;

/**
 * At most 1 GiB of decoded columns in a run file, by the footer: each column chunk's uncompressed
 * size, or 8 bytes a value (the widest fixed-width Arrow value), whichever is more. The default run's
 * equity.parquet, the largest, comes to about 40 MB; 12.5 times that, a 40-symbol × 250-day run, is
 * about 500 MB.
 */
export const MAX_RUN_FILE_DECODED_BYTES = 1024 * 1024 * 1024;

/** A Parquet file's rows (by its footer and by its row groups, the larger) and decoded size (see MAX_RUN_FILE_DECODED_BYTES). */
export interface ParquetSize {
  rows: number;
  decodedBytes: number;
}

/** The size of the Parquet file in `bytes` by its footer, or undefined when its footer cannot be read (parquet-wasm then says what is wrong). */
export function parquetSize(bytes: Uint8Array): ParquetSize | undefined {
  let meta: ReturnType<typeof parquetMetadata>;
  try {
    meta = parquetMetadata(bytes);
  } catch {
    return undefined;
  }
  let groupRows = 0;
  let decodedBytes = 0;
  for (const group of meta.row_groups) {
    const rows = Number(group.num_rows);
    groupRows += rows;
    for (const chunk of group.columns) {
      const m = chunk.meta_data;
      // A footer that understates a chunk's values does not help: the row group's rows count too.
      const values = Math.max(Number(m?.num_values ?? 0), rows);
      decodedBytes += Math.max(Number(m?.total_uncompressed_size ?? 0), values * 8);
    }
  }
  return { rows: Math.max(Number(meta.num_rows), groupRows), decodedBytes };
}

/** Why the Parquet file in `bytes` would decode to more than a run file may, or undefined. */
export function parquetSizeProblem(
  bytes: Uint8Array,
  limits: ParquetSize = { rows: MAX_RUN_FILE_ROWS, decodedBytes: MAX_RUN_FILE_DECODED_BYTES },
): string | undefined {
  const size = parquetSize(bytes);
  if (!size) return undefined;
  if (size.rows > limits.rows)
    return `${size.rows} rows by its footer: expected at most ${limits.rows} in a run file (a 40-symbol, 250-day run writes under 700,000)`;
  if (size.decodedBytes > limits.decodedBytes)
    return `its columns would decode to ${mib(size.decodedBytes)} MiB or more (by its footer): expected at most ${mib(limits.decodedBytes)} MiB in a run file (a 40-symbol, 250-day run's largest is about 500 MiB)`;
  return undefined;
}

const mib = (n: number): string => (n / 1048576).toFixed(0);
