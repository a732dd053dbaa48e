/**
 * Reads the files of one dataset of a data folder (as listed in its manifest) as column batches of a
 * schema. Each file is checked before its rows are read: it stays inside the folder (after symlinks), is
 * a regular file of bounded size, is readable Parquet, and its columns match the schema (name, type,
 * nullability, timestamp unit), and has the sha256 the manifest gives for it, if any; its rows are
 * known around its day's session ({@link checkDay}); a trades file gives no print twice at two
 * ts_known (repeated-prints.ts). Any problem is a DataError naming the file. The next file is decoded on libuv's thread pool while the graph runs
 * on this one (decode-file.ts).
 */
import { join } from 'node:path';
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import type { DatasetReader } from '../../operators/sdk/context.ts';
import type { SchemaName, SchemaTypes, Trade } from '../../schemas/types.generated.ts';
import type { DatasetManifest } from '../data/manifest.ts';
import { DataError } from '../../lib/core/errors.ts';
import { isoMicros } from '../../lib/core/instant.ts';
import { DAY } from '../../lib/core/time.ts';
import { type DecodedFile, decodeDataFile } from './decode-file.ts';
import { decodedOnce } from './decoded-cache.ts';
import { repeatedPrint } from './repeated-prints.ts';

/**
 * `onFile` is told each file's path (relative to `dir`) and sha256 as it is read (one hash serves the
 * manifest's check and the caller's). When the manifest
 * gives the dataset's `rows`, its files must hold that many (checked once the last is read).
 */
export function openDataset<TName extends SchemaName>(
  dir: string,
  manifest: DatasetManifest,
  name: string,
  schema: TName,
  onFile?: (file: string, sha256: string) => void,
): DatasetReader<SchemaTypes[TName]> {
  const manifestFile = join(dir, 'manifest.json');
  const entry = manifest.datasets[name];
  if (!entry) {
    // The generator writes book depth only when asked: say how to get it.
    const how = schema === 'BookDepth' ? '; `alpha data generate --depth N` writes one' : '';
    throw new DataError(manifestFile, `no dataset "${name}" (datasets: ${Object.keys(manifest.datasets).join(', ')})${how}`);
  }
  if (entry.schema !== undefined && entry.schema !== schema)
    throw new DataError(manifestFile, `datasets.${name}.schema is "${entry.schema}": the replay reads it as ${schema}`);
  let file = 0;
  let batches: ColumnBatch<SchemaTypes[TName]>[] = [];
  let index = 0;
  let rows = 0;
  /** The file each sha256 was first seen in (files with rows, when hashed). */
  const copies = new Map<string, string>();
  const request = (k: number): Promise<DecodedFile> | undefined => {
    if (k >= entry.files.length) return undefined;
    const expect = entry.sha256?.[k];
    const hash = expect !== undefined || onFile !== undefined;
    const decoding = decodedOnce(dir, entry.files[k]!, schema, hash, (h) =>
      decodeDataFile(dir, entry.files[k]!, schema, { hash: h, expect }),
    );
    decoding.catch(() => {}); // reported when the reader reaches it
    return decoding;
  };
  // The next file is asked for as soon as this one is taken: it decodes while the graph runs on this one.
  let ahead = request(0);
  return {
    async next() {
      while (index >= batches.length) {
        if (file >= entry.files.length) {
          if (entry.rows !== undefined && rows !== entry.rows)
            throw new DataError(manifestFile, `datasets.${name}.rows is ${entry.rows}: its files hold ${rows} rows`);
          return null;
        }
        const relative = entry.files[file]!;
        const path = join(dir, relative);
        const want = entry.sha256?.[file];
        const decoded = await (ahead ?? request(file)!);
        file++;
        ahead = request(file);
        if (decoded.sha256 !== undefined) {
          if (want !== undefined && decoded.sha256 !== want)
            throw new DataError(path, `sha256 is ${decoded.sha256}, the manifest says ${want}: the file was changed or is corrupt`);
          onFile?.(relative, decoded.sha256);
        }
        if (decoded.failure) throw new DataError(decoded.failure.file, decoded.failure.message);
        // A copy of an earlier file under another name: its rows would be replayed twice (and dropped as duplicates).
        if (decoded.sha256 !== undefined && decoded.rows! > 0) {
          const first = copies.get(decoded.sha256);
          if (first !== undefined)
            throw new DataError(path, `holds the same bytes as ${first} (sha256 ${decoded.sha256}): expected each file once, not a copy`);
          copies.set(decoded.sha256, relative);
        }
        batches = decoded.batches as ColumnBatch<SchemaTypes[TName]>[];
        checkDay(path, manifest, file - 1, schema, batches);
        const twice = schema === 'Trade' ? repeatedPrint(batches as ColumnBatch<Trade>[]) : undefined;
        if (twice) throw new DataError(path, twice);
        rows += decoded.rows!;
        index = 0;
      }
      return batches[index++]!;
    },
    async close() {
      batches = [];
    },
  };
}

/**
 * The rows of the `k`th file (its date's) must be known around that date's session: after the previous
 * session's close and before the next one's open, and within a day of its own session. A row from
 * another day had every later row of the run refused as out of order, and a manifest whose dates are
 * not its files' replayed them outside any session; both ran to the end and looked valid. A quote
 * file without a row is a day with no market: refused, as a missing file is.
 */
function checkDay(path: string, manifest: DatasetManifest, k: number, schema: SchemaName, batches: readonly ColumnBatch<unknown>[]): void {
  const session = manifest.sessions?.[k];
  const date = manifest.dates?.[k];
  if (!session || date === undefined) return; // a bare list of files, with no day to check against
  if (schema === 'Quote' && batches.every((b) => b.length === 0))
    throw new DataError(path, `no rows: expected the quotes of ${date} (a trading day of manifest.json)`);
  const from = Math.max(manifest.sessions[k - 1]?.close ?? -Infinity, session.open - DAY);
  const until = Math.min(manifest.sessions[k + 1]?.open ?? Infinity, session.close + DAY);
  let row = 0;
  for (const b of batches) {
    const known = (b.columns as { ts_known: ArrayLike<number> }).ts_known;
    for (let i = b.start; i < b.end; i++) {
      const t = known[i]!;
      if (!(t >= from && t < until))
        throw new DataError(
          path,
          `row ${row + i - b.start} has ts_known ${Number.isFinite(t) ? isoMicros(t) : t}: expected a time from ${isoMicros(from)} to before ${isoMicros(until)} ` +
            `(around ${date}'s session in manifest.json: after the previous close, before the next open, within a day)`,
        );
    }
    row += b.length;
  }
}
