/**
 * How much a run folder's Parquet file would decode to, judged before anything is decoded, through
 * hyparquet's readers of the footer and of page headers: a file of a few KB can declare millions of
 * rows or gigabytes of pages, or repeat one long dictionary entry in every row (a 20 KB order id in
 * 200,000 rows decodes to 4 GB from an 11 KB file), and parquet-wasm would build all of it before the
 * report could look. A string column's dictionary page is decoded (it is small) for its longest entry.
 */
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage } from 'hyparquet/src/datapage.js';

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
      if (m?.type === 'BYTE_ARRAY' && m.dictionary_page_offset !== undefined)
        decodedBytes += values * longestEntry(bytes, Number(m.dictionary_page_offset), m.codec);
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
    return `its columns would decode to ${mib(size.decodedBytes)} MiB or more (by its footer and dictionary pages): expected at most ${mib(limits.decodedBytes)} MiB in a run file (a 40-symbol, 250-day run's largest is about 500 MiB)`;
  return undefined;
}

const mib = (n: number): string => (n / 1048576).toFixed(0);

/** The largest dictionary page decoded (writers keep them near 1 MiB); a larger one counts whole for every value. */
const MAX_DICTIONARY_PAGE = 16 * 1024 * 1024;

/**
 * The longest entry of the dictionary page at `offset` (what each value of the chunk may decode to),
 * in bytes: the page's whole size when it cannot be read or is too large to (a bound all the same),
 * and the file's size when the footer puts the page outside it.
 */
function longestEntry(bytes: Uint8Array, offset: number, codec: string): number {
  // An offset outside the file is a footer that lies: any value may be as long as the file.
  if (!(offset >= 0 && offset < bytes.length)) return bytes.length;
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset };
  try {
    const header = parquetHeader(reader);
    const size = Number(header.uncompressed_page_size);
    const count = Number(header.dictionary_page_header?.num_values ?? 0);
    if (header.type !== 'DICTIONARY_PAGE' || size > MAX_DICTIONARY_PAGE || count > size) return Math.max(size, 0);
    const page = decompressPage(
      bytes.subarray(reader.offset, reader.offset + header.compressed_page_size),
      size,
      codec as never,
      undefined,
    );
    // PLAIN BYTE_ARRAY: each entry is its 4-byte little-endian length, then its bytes; only the lengths are read.
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    let longest = 0;
    let at = 0;
    for (let i = 0; i < count; i++) {
      const length = view.getUint32(at, true);
      longest = Math.max(longest, length);
      at += 4 + length;
    }
    if (at > page.byteLength) throw new RangeError('an entry runs past the dictionary page');
    return longest;
  } catch {
    return bytes.length - offset; // unreadable here: at most what follows it in the file, for every value
  }
}
