/**
 * Market data of a dataset for the tear sheet: each symbol's mid over time (what the predictions' IC is
 * scored against) and its prints (what participation is measured against).
 */
import { join } from 'node:path';
import { DataError } from '../../lib/core/errors.ts';
import type { MidSeries } from '../../lib/report/ic.ts';
import type { VolumeSeries } from '../../lib/report/participation.ts';
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

/**
 * The prints of the manifest's Trade dataset by symbol, in `ts_known` order, with running totals of
 * their sizes; a correction replaces the size of the print it corrects (same id).
 */
export async function readVolumes(dir: string, manifest: DatasetManifest): Promise<Map<string, VolumeSeries>> {
  const name = Object.keys(manifest.datasets).find((k) => manifest.datasets[k]!.schema === 'Trade');
  if (name === undefined) throw new DataError(join(dir, 'manifest.json'), 'no dataset of schema Trade: participation needs the prints');
  const ts = new Map<string, number[]>();
  const size = new Map<string, number[]>();
  const at = new Map<number, { symbol: string; i: number }>();
  const reader = openDataset(dir, manifest, name, 'Trade');
  for (let b = await reader.next(); b !== null; b = await reader.next()) {
    const c = b.columns;
    for (let i = b.start; i < b.end; i++) {
      const s = c.symbol.dictionary[c.symbol.codes[i]!]!;
      const original = c.version[i]! > 1 ? at.get(c.id[i]!) : undefined;
      if (original) {
        size.get(original.symbol)![original.i] = c.size[i]!;
        continue;
      }
      let t = ts.get(s);
      if (!t) {
        ts.set(s, (t = []));
        size.set(s, []);
      }
      at.set(c.id[i]!, { symbol: s, i: t.length });
      t.push(c.ts_known[i]!);
      size.get(s)!.push(c.size[i]!);
    }
  }
  return new Map(
    [...ts].map(([s, t]) => {
      let total = 0;
      return [s, { ts: Float64Array.from(t), cum: Float64Array.from(size.get(s)!, (x) => (total += x)) }];
    }),
  );
}
