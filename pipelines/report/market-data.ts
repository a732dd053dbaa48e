/**
 * Market data of a dataset for the tear sheet: each symbol's mid over time (what the predictions' IC is
 * scored against) and its prints (what participation is measured against). The rows are those the
 * replay keeps: the replay's own row checks (operators/sdk/replay.ts) leave out the others (a bid of 0,
 * a crossed quote, a row out of order or outside the universe), which the run never saw; how many, by
 * reason, is told back.
 */
import { join } from 'node:path';
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import { DataError } from '../../lib/core/errors.ts';
import type { MidSeries } from '../../lib/report/ic.ts';
import type { VolumeSeries } from '../../lib/report/participation.ts';
import { checkRows, OrderCheck, type Replayable, type RowCheckContext } from '../../operators/sdk/replay.ts';
import type { DatasetManifest } from '../data/manifest.ts';
import { openDataset } from '../io/dataset.ts';
import { NodeMetrics } from '../runtime/node-context.ts';

/** The rows of a dataset the replay refuses, left out of the report: how many of how many, by reason. */
export interface LeftOut {
  dataset: string;
  rows: number;
  of: number;
  /** The reason's words before its values (`bad price`, `crossed quote`, `out of order`) → rows. */
  reasons: Map<string, number>;
}

/** The batches of dataset `name` as the replay keeps them; what it refuses is counted in `leftOut`. */
async function* replayedBatches<TName extends 'Quote' | 'Trade'>(
  dir: string,
  manifest: DatasetManifest,
  name: string,
  schema: TName,
  leftOut: LeftOut,
): AsyncGenerator<ColumnBatch<Replayable[TName]>> {
  const ctx: RowCheckContext = {
    universe: manifest.universe,
    metrics: new NodeMetrics(),
    deadLetter: (_, reason) => {
      const what = reason.split(':')[0]!;
      leftOut.rows++;
      leftOut.reasons.set(what, (leftOut.reasons.get(what) ?? 0) + 1);
    },
  };
  const check = new OrderCheck(ctx);
  const reader = openDataset(dir, manifest, name, schema);
  for (let b = await reader.next(); b !== null; b = await reader.next()) {
    leftOut.of += b.length;
    yield checkRows(schema, b, ctx, check);
  }
}

/** One line saying what was left out, or undefined when nothing was. */
export function leftOutNote(l: LeftOut, use: string): string | undefined {
  if (l.rows === 0) return undefined;
  const reasons = [...l.reasons].map(([why, n]) => `${why}: ${n}`).join(', ');
  return `${l.rows} of the ${l.of} rows of dataset "${l.dataset}" left out of ${use}, as the replay refuses them (${reasons})`;
}

/** The mids (bid + ask) / 2 of the quotes of the manifest's Quote dataset the replay keeps, by symbol, in `ts_known` order. */
export async function readMids(dir: string, manifest: DatasetManifest): Promise<{ mids: Map<string, MidSeries>; leftOut: LeftOut }> {
  const name = Object.keys(manifest.datasets).find((k) => manifest.datasets[k]!.schema === 'Quote');
  if (name === undefined)
    throw new DataError(join(dir, 'manifest.json'), 'no dataset of schema Quote: the IC needs quotes to score the predictions');
  const ts = new Map<string, number[]>();
  const mid = new Map<string, number[]>();
  const leftOut: LeftOut = { dataset: name, rows: 0, of: 0, reasons: new Map() };
  for await (const b of replayedBatches(dir, manifest, name, 'Quote', leftOut)) {
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
  const mids = new Map([...ts].map(([s, t]) => [s, { ts: Float64Array.from(t), mid: Float64Array.from(mid.get(s)!) }]));
  return { mids, leftOut };
}

/**
 * The prints of the manifest's Trade dataset the replay keeps, by symbol, in `ts_known` order, with
 * running totals of their sizes; a correction replaces the size of the print it corrects (same id).
 */
export async function readVolumes(
  dir: string,
  manifest: DatasetManifest,
): Promise<{ volumes: Map<string, VolumeSeries>; leftOut: LeftOut }> {
  const name = Object.keys(manifest.datasets).find((k) => manifest.datasets[k]!.schema === 'Trade');
  if (name === undefined) throw new DataError(join(dir, 'manifest.json'), 'no dataset of schema Trade: participation needs the prints');
  const ts = new Map<string, number[]>();
  const size = new Map<string, number[]>();
  const at = new Map<number, { symbol: string; i: number }>();
  const leftOut: LeftOut = { dataset: name, rows: 0, of: 0, reasons: new Map() };
  for await (const b of replayedBatches(dir, manifest, name, 'Trade', leftOut)) {
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
  const volumes = new Map(
    [...ts].map(([s, t]) => {
      let total = 0;
      return [s, { ts: Float64Array.from(t), cum: Float64Array.from(size.get(s)!, (x) => (total += x)) }];
    }),
  );
  return { volumes, leftOut };
}
