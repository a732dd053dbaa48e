/**
 * source.bar-replay: reads a stored dataset of bars (real Parquet files through pipelines/io/dataset.ts,
 * on a stub context) and hands them on in order with a seq, in batches of at most batch_size; a bar
 * out of ts_known order, of an unknown symbol, or whose prices do not hold together is a dead letter.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../lib/core/column-batch.ts';
import { writeRecordsParquet } from '../../../lib/io/parquet.ts';
import type { SourceContext } from '../../../operators/sdk/context.ts';
import { barReplay } from '../../../operators/source/bar-replay.ts';
import type { DatasetManifest } from '../../../pipelines/data/manifest.ts';
import { openDataset } from '../../../pipelines/io/dataset.ts';
import type { Bar } from '../../../schemas/types.generated.ts';
import { tempDir } from '../../helpers/datasets.ts';
import { bar, T0 } from '../../helpers/records.ts';

const dir = tempDir('bar-replay');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('source.bar-replay', () => {
  it('replays the bars in order with a seq, refusing the ones it cannot trust', async () => {
    const stored: Bar[] = [
      bar('A', T0, 10),
      bar('B', T0, 20),
      bar('Z', T0 + 1, 5), // unknown symbol
      bar('A', T0 + 2, 11, { low: 11.5 }), // low above the close
      bar('B', T0 + 3, 21),
      bar('A', T0 + 2, 12), // out of order
      bar('A', T0 + 4, 13, { close: -1, open: -1, high: -1, low: -1 }),
      bar('A', T0 + 5, 14),
    ];
    writeRecordsParquet(join(dir, 'd.parquet'), 'Bar', stored as unknown as Record<string, unknown>[]);
    const manifest = { datasets: { daily: { schema: 'Bar', files: ['d.parquet'] } } } as unknown as DatasetManifest;
    const dead: string[] = [];
    const ctx = {
      universe: [
        { symbol: 'A', sector: 'X' },
        { symbol: 'B', sector: 'X' },
      ],
      deadLetter: (_record: unknown, reason: string) => void dead.push(reason),
      openDataset: (name: string, schema: 'Bar') => openDataset(dir, manifest, name, schema),
    } as unknown as SourceContext;
    const reader = barReplay.open(barReplay.params.parse({ dataset: 'daily', batch_size: 2 }), ctx);
    const batches: Bar[][] = [];
    for (let b = await reader.next(); b; b = await reader.next()) batches.push([...rowsOf(b)] as Bar[]);
    await reader.close();
    expect(batches.map((b) => b.length)).toEqual([2, 2]);
    expect(batches.flat().map((b) => [b.symbol, b.ts_known, b.close, (b as Bar & { seq: number }).seq])).toEqual([
      ['A', T0, 10, 1],
      ['B', T0, 20, 2],
      ['B', T0 + 3, 21, 3],
      ['A', T0 + 5, 14, 4],
    ]);
    expect(dead).toEqual([
      'unknown symbol "Z": not in the dataset\'s universe',
      'low 11.5 / high 11 do not hold open 11 and close 11',
      `out of order: ts_known ${T0 + 2} after ${T0 + 3}`,
      'bad price: open -1, high -1, low -1, close -1 (prices must be numbers above 0 and at most 1e+9)',
    ]);
  });
});
