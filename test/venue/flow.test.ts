/**
 * `alpha venue flow`: a generated dataset's day as background order flow. Played through colo's book,
 * the top of book must follow the dataset: after every quote its prices and sizes, after a print at
 * the touch the size left by it; the expectations are computed here from the Parquet files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetFile } from '../../lib/io/parquet.ts';
import { colo } from '../../native/colo/index.ts';
import { generateDataset } from '../../pipelines/data/generate.ts';
import { newYorkMidnight } from '../../lib/core/exchange-time.ts';
import { writeBackgroundFlow } from '../../pipelines/venue/flow.ts';
import { runAlpha } from '../helpers/cli.ts';

const DATE = '2024-01-03';
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alpha-flow-'));
  await generateDataset({ out: join(dir, 'data'), symbols: 3, days: 2, seed: 5 });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Top {
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
}
const EMPTY: Top = { bid: 0, ask: 0, bidSize: 0, askSize: 0 };
const rows = (file: string): Record<string, unknown>[] =>
  readParquetFile(file)
    .toArray()
    .map((r) => r.toJSON() as Record<string, unknown>);
const micros = (ms: unknown): number => Math.round(Number(ms) * 1000);

describe('alpha venue flow', () => {
  it('gives a book whose top follows the dataset after every quote and every print at the touch', async () => {
    const out = join(dir, 'flow.itch');
    const r = await writeBackgroundFlow({ data: join(dir, 'data'), date: DATE, out });
    const midnight = newYorkMidnight(DATE);

    // The test's own model of the background book: one level a side.
    type Event = { t: number; order: number; symbol: string; apply: (top: Top) => Top };
    const events: Event[] = [];
    for (const q of rows(join(dir, `data/quotes/${DATE}.parquet`))) {
      const top = {
        bid: Number(q['bid']),
        ask: Number(q['ask']),
        bidSize: Math.round(Number(q['bid_size'])),
        askSize: Math.round(Number(q['ask_size'])),
      };
      events.push({ t: (micros(q['ts_event']) - midnight) * 1000, order: 0, symbol: String(q['symbol']), apply: () => top });
    }
    for (const x of rows(join(dir, `data/trades/${DATE}.parquet`))) {
      if (Number(x['version']) > 1) continue;
      const price = Number(x['price']);
      const size = Math.round(Number(x['size']));
      const side = x['aggressor'];
      events.push({
        t: (micros(x['ts_event']) - midnight) * 1000,
        order: 1,
        symbol: String(x['symbol']),
        apply: (top) => {
          if (side === 'BUY' && top.askSize > 0 && Math.round(top.ask * 1e4) === Math.round(price * 1e4)) {
            const left = Math.max(0, top.askSize - size);
            return left > 0 ? { ...top, askSize: left } : { ...top, ask: 0, askSize: 0 };
          }
          if (side === 'SELL' && top.bidSize > 0 && Math.round(top.bid * 1e4) === Math.round(price * 1e4)) {
            const left = Math.max(0, top.bidSize - size);
            return left > 0 ? { ...top, bidSize: left } : { ...top, bid: 0, bidSize: 0 };
          }
          return top;
        },
      });
    }
    events.sort((a, b) => a.t - b.t || a.order - b.order);
    expect(r.quotes + r.trades + r.corrections).toBe(events.length + r.corrections);

    // colo's book over the flow: the last quote row of each symbol at or before each instant.
    const itch = new (colo().ItchFile)(out);
    const { quotes } = itch.next(1e8);
    const summary = itch.summary();
    expect(summary.frameErrors).toEqual([]);
    expect(summary.bookErrors).toEqual([]);
    const bySymbol = new Map<string, { t: number; top: Top }[]>();
    for (let i = 0; i < quotes.locate.length; i++) {
      const symbol = summary.symbols.find((s) => s.locate === quotes.locate[i])!.symbol;
      const list = bySymbol.get(symbol) ?? [];
      list.push({
        t: quotes.ts_ns[i]!,
        top: {
          bid: quotes.bid_size[i]! > 0 ? quotes.bid[i]! : 0,
          ask: quotes.ask_size[i]! > 0 ? quotes.ask[i]! : 0,
          bidSize: quotes.bid_size[i]!,
          askSize: quotes.ask_size[i]!,
        },
      });
      bySymbol.set(symbol, list);
    }
    const expected = new Map<string, Top>();
    const at = new Map<string, number>();
    const instants = new Map<string, number>();
    for (const e of events) instants.set(`${e.symbol}@${e.t}`, (instants.get(`${e.symbol}@${e.t}`) ?? 0) + 1);
    let compared = 0;
    for (const e of events) {
      const top = e.apply(expected.get(e.symbol) ?? EMPTY);
      expected.set(e.symbol, top);
      if (instants.get(`${e.symbol}@${e.t}`)! > 1) continue; // an instant shared with another event: only its end is observable
      const list = bySymbol.get(e.symbol) ?? [];
      let k = at.get(e.symbol) ?? -1;
      while (k + 1 < list.length && list[k + 1]!.t <= e.t) k++;
      at.set(e.symbol, k);
      const seen = k >= 0 ? list[k]!.top : EMPTY;
      expect({ ...seen, bid: Math.round(seen.bid * 1e4), ask: Math.round(seen.ask * 1e4) }, `${e.symbol} at ${e.t}`).toEqual({
        ...top,
        bid: Math.round(top.bid * 1e4),
        ask: Math.round(top.ask * 1e4),
      });
      compared++;
    }
    expect(compared).toBeGreaterThan(events.length * 0.9);
  }, 60_000);

  it('refuses a day the dataset does not have, an unknown symbol and an existing --out, in one line each', async () => {
    const data = join(dir, 'data');
    const taken = join(dir, 'taken.itch');
    writeFileSync(taken, 'mine');
    const cases: [string[], RegExp][] = [
      [
        ['venue', 'flow', '--data', data, '--date', '2024-02-30', '--out', join(dir, 'x.itch')],
        /alpha: --date is "2024-02-30": expected a real date/,
      ],
      [
        ['venue', 'flow', '--data', data, '--date', '2024-03-05', '--out', join(dir, 'x.itch')],
        /alpha: --date 2024-03-05 is not a trading day of .* \(2024-01-02 … 2024-01-03\)/,
      ],
      [
        ['venue', 'flow', '--data', data, '--date', DATE, '--symbols', 'NOPE', '--out', join(dir, 'x.itch')],
        /alpha: --symbols: NOPE is not in the universe/,
      ],
      [
        ['venue', 'flow', '--data', data, '--date', DATE, '--out', taken],
        /alpha: --out .*taken\.itch exists: pass --overwrite to replace it/,
      ],
      [['venue', 'flow', '--data', join(dir, 'nothing'), '--date', DATE, '--out', join(dir, 'x.itch')], /alpha: .*manifest\.json/],
    ];
    for (const [args, pattern] of cases) {
      const run = await runAlpha(args, 30_000);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(pattern);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  }, 60_000);
});
