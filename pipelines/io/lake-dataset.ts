/**
 * A replay source's dataset read from the lake (`store: lake`): the Delta table of the dataset's name
 * in the run's lake folder, over the run's trading days (the `date` partitions, UTC dates of ts_known,
 * from the first trading day to the last, so corrections learnt on a day between them come too), as
 * column batches in (ts_known, seq) order (lib/io/lake/replay.ts). The calendar and the universe stay
 * the data folder manifest's.
 */
import type { DatasetReader, DatasetStore } from '../../operators/sdk/context.ts';
import type { SchemaName, SchemaTypes } from '../../schemas/types.generated.ts';
import { openLakeReplay } from '../../lib/io/lake/replay.ts';
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
  const reader = openLakeReplay<SchemaTypes[TName]>({
    lake,
    dataset: name,
    schema,
    from: manifest.dates[0]!,
    to: manifest.dates[manifest.dates.length - 1]!,
    ...(from.asOf !== undefined ? { asOf: from.asOf } : {}),
    ...(from.version !== undefined ? { version: from.version } : {}),
  });
  let told = false;
  return {
    async next() {
      const batch = await reader.next();
      if (!told && reader.read) {
        told = true;
        onRead?.(name, reader.read);
      }
      return batch;
    },
    close: () => reader.close(),
  };
}
