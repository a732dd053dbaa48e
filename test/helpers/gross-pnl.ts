/**
 * Mark-to-mid PnL of the positions a run held, computed from its outputs and its data, not by the code
 * under test: positions come from the run's fills.parquet (quantities and sides only, never a fill price
 * or fee), mids from the dataset's quotes. At the end of every session minute, each position held at the
 * previous mark earns qty × (mid now − mid then); a fill counts from the first mark at or after it. The
 * gap between one session's last mark and the next session's first is a mark interval like the others.
 * No spread, fee or fill price enters, so costs cannot hide an edge (or a leak) and cannot fake one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MINUTE } from '../../lib/core/time.ts';
import { readParquetFile } from '../../lib/io/parquet.ts';

interface Manifest {
  dates: string[];
  sessions: { date: string; open: number; close: number }[];
  universe: { symbol: string }[];
  datasets: Record<string, { files: string[] }>;
}

export interface GrossPnl {
  /** PnL per session, in currency, of the positions held into and through it. */
  daily: number[];
  /** t = mean / standard deviation × √days of the daily PnL. */
  t: number;
}

export function grossPnl(dataDir: string, runDir: string): GrossPnl {
  const manifest = JSON.parse(readFileSync(join(dataDir, 'manifest.json'), 'utf8')) as Manifest;
  const symbols = manifest.universe.map((u) => u.symbol);
  const index = new Map(symbols.map((s, i) => [s, i]));
  const minutes = manifest.sessions.map((s) => Math.round((s.close - s.open) / MINUTE));
  // marks[j]: the end of a session minute, in µs; mids[j * n + s]: the mid of s's last quote at or before it.
  const marks: number[] = [];
  const markDay: number[] = [];
  for (const [d, s] of manifest.sessions.entries()) {
    for (let k = 1; k <= minutes[d]!; k++) {
      marks.push(s.open + k * MINUTE);
      markDay.push(d);
    }
  }
  const n = symbols.length;
  const mids = new Float64Array(marks.length * n).fill(Number.NaN);
  const midTime = new Float64Array(marks.length * n).fill(-Infinity);
  let first = 0;
  for (const [d, file] of manifest.datasets['quotes']!.files.entries()) {
    const table = readParquetFile(join(dataDir, file));
    const ts = table.getChild('ts_event')!.toArray() as BigInt64Array;
    const sym = table.getChild('symbol')!.toArray() as string[];
    const bid = table.getChild('bid')!.toArray() as Float64Array;
    const ask = table.getChild('ask')!.toArray() as Float64Array;
    const open = manifest.sessions[d]!.open;
    for (let i = 0; i < ts.length; i++) {
      const t = Number(ts[i]);
      // The first mark at or after the quote: the end of its minute.
      const j = first + Math.min(minutes[d]! - 1, Math.max(0, Math.ceil((t - open) / MINUTE) - 1));
      const at = j * n + index.get(sym[i]!)!;
      if (t >= midTime[at]!) {
        midTime[at] = t;
        mids[at] = (bid[i]! + ask[i]!) / 2;
      }
    }
    first += minutes[d]!;
  }
  for (let j = 1; j < marks.length; j++) {
    for (let s = 0; s < n; s++) if (Number.isNaN(mids[j * n + s]!)) mids[j * n + s] = mids[(j - 1) * n + s]!;
  }

  // Position changes by the first mark at or after each fill.
  const fills = readParquetFile(join(runDir, 'fills.parquet'));
  const fillTs = fills.getChild('ts_event')!.toArray() as BigInt64Array;
  const fillSym = fills.getChild('symbol')!.toArray() as string[];
  const fillSide = fills.getChild('side')!.toArray() as string[];
  const fillQty = fills.getChild('qty')!.toArray() as Float64Array;
  const change = new Float64Array(marks.length * n);
  for (let i = 0; i < fillTs.length; i++) {
    const j = firstAtOrAfter(marks, Number(fillTs[i]));
    if (j === marks.length) continue; // after the last mark: held through no interval
    const sign = fillSide[i] === 'BUY' ? 1 : fillSide[i] === 'SELL' ? -1 : Number.NaN;
    change[j * n + index.get(fillSym[i]!)!]! += sign * fillQty[i]!;
  }

  const daily = new Array<number>(manifest.sessions.length).fill(0);
  const position = new Float64Array(n);
  for (let j = 0; j < marks.length; j++) {
    if (j > 0) {
      let pnl = 0;
      for (let s = 0; s < n; s++) {
        if (position[s] !== 0) pnl += position[s]! * (mids[j * n + s]! - mids[(j - 1) * n + s]!);
      }
      daily[markDay[j]!]! += pnl;
    }
    for (let s = 0; s < n; s++) position[s]! += change[j * n + s]!;
  }
  if (daily.some((x) => !Number.isFinite(x))) throw new Error(`gross PnL: a non-finite daily PnL in ${runDir}`);
  const mean = daily.reduce((a, b) => a + b, 0) / daily.length;
  const sd = Math.sqrt(daily.reduce((a, b) => a + (b - mean) ** 2, 0) / (daily.length - 1));
  return { daily, t: (mean / sd) * Math.sqrt(daily.length) };
}

function firstAtOrAfter(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
