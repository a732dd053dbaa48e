/** Each symbol's mid over time, from the quotes of a dataset: what the predictions' IC is scored against. */
import { join } from 'node:path';
import { DataError } from '../../lib/core/errors.ts';
import type { MidSeries } from '../../lib/report/ic.ts';
import type { DatasetManifest } from '../data/manifest.ts';
import { openDataset } from '../io/dataset.ts';

/** The mids (bid + ask) / 2 of every quote of the manifest's Quote dataset, by symbol, in `ts_known` order. */
export async function readMids(dir: string, manifest: DatasetManifest): Promise<Map<string, MidSeries>> {
  const name = Object.keys(manifest.datasets).find((k) => manifest.datasets[k]!.schema === 'Quote');
  if (name === undefined)
    throw new DataError(join(dir, 'manifest.json'), 'no dataset of schema Quote: the IC needs quotes to score the predictions');
  const ts = new Map<string, number[]>();
  const mid = new Map<string, number[]>();
  const reader = openDataset(dir, manifest, name, 'Quote');
  for (let b = await reader.next(); b !== null; b = await reader.next()) {
    const c = b.columns;
    for (let i = b.start; i < b.end; i++) {
      const s = c.symbol.dictionary[c.symbol.codes[i]!]!;
      let t = ts.get(s);
      if (!t) {
        ts.set(s, (t = []));
        mid.set(s, []);
      }
      t.push(c.ts_known[i]!);
      mid.get(s)!.push((c.bid[i]! + c.ask[i]!) / 2);
    }
  }
  return new Map([...ts].map(([s, t]) => [s, { ts: Float64Array.from(t), mid: Float64Array.from(mid.get(s)!) }]));
}
