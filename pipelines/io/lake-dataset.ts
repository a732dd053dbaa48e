/**
 * A replay source's dataset read from the lake (`store: lake`): the Delta table of the dataset's name
 * in the run's lake folder, over the run's trading days (the `date` partitions, UTC dates of ts_known,
 * from the first trading day to the last, so corrections learnt on a day between them come too), as
 * column batches in (ts_known, seq) order (lib/io/lake/replay.ts). The calendar and the universe stay
 * the data folder manifest's.
 */
import type { DatasetReader, DatasetStore } from '../../operators/sdk/context.ts';
import type { SchemaName, SchemaTypes } from '../../schemas/types.generated.ts';
import type { openLakeReplay } from '../../lib/io/lake/replay.ts';
import type { DatasetManifest } from '../data/manifest.ts';

/** The default lake folder of a run, as for `alpha data …`. */
export const DEFAULT_RUN_LAKE = 'data/lake';

export function openLakeDataset<TName extends SchemaName>(
  lake: string,
  manifest: Pick<DatasetManifest, 'dates'>,
  name: string,
  schema: TName,
  from: Extract<DatasetStore, { store: 'lake' }>,
  onRead?: (dataset: string, read: { version: number; dates: readonly string[] }) => void,
): DatasetReader<SchemaTypes[TName]> {
  // DuckDB is loaded when a lake source first reads, not with every run (its module costs ~170 ms).
  type Reader = ReturnType<typeof openLakeReplay<SchemaTypes[TName]>>;
  let reader: Reader | undefined;
  const open = async (): Promise<Reader> => {
    const { openLakeReplay } = await import('../../lib/io/lake/replay.ts');
    reader ??= openLakeReplay<SchemaTypes[TName]>({
      lake,
      dataset: name,
      schema,
      from: manifest.dates[0]!,
      to: manifest.dates[manifest.dates.length - 1]!,
      ...(from.asOf !== undefined ? { asOf: from.asOf } : {}),
      ...(from.version !== undefined ? { version: from.version } : {}),
    });
    return reader;
  };
  let told = false;
  return {
    async next() {
      const r = await open();
      const batch = await r.next();
      if (!told && r.read) {
        told = true;
        onRead?.(name, r.read);
      }
      return batch;
    },
    close: async () => {
      await reader?.close();
    },
  };
}
