/**
 * colo's ITCH 5.0 decoder and book against an independent implementation, PyPI's itchcpp 1.6.4
 * (in .venv/research, installed by research/setup.sh): every message type encoded by itchcpp
 * must decode here to the fields itchcpp reads back, and on whole sessions the final best bid and
 * offer of each symbol and the message counts must agree.
 *
 * Wireshark's nasdaq_itch dissector would be the other independent reader, but it is the ASCII
 * ITCH 2.0/3.0 (native/colo/test/tshark_itch_test.cc lists where it disagrees with 5.0).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colo } from '../../native/colo/index.ts';
import { ROOT } from '../helpers/cli.ts';

const PYTHON = join(ROOT, '.venv/research/bin/python');
const SCRIPT = join(ROOT, 'native/colo/crosscheck/itchcpp_vectors.py');
const dir = mkdtempSync(join(tmpdir(), 'alpha-itchcpp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function python(args: string[]): string {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run bash research/setup.sh (npm test does)`);
  return execFileSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** colo's field names → itchcpp's, where they differ. */
const THEIR_NAME: Record<string, string> = {
  order_ref: 'order_reference_number',
  original_order_ref: 'order_reference_number',
  new_order_ref: 'new_order_reference_number',
  side: 'buy_sell_indicator',
  financial_status: 'financial_status_indicator',
  short_sale_threshold: 'short_sale_threshold_indicator',
  luld_reference_price_tier: 'luld_ref',
  level1: 'level1_price',
  level2: 'level2_price',
  level3: 'level3_price',
  release_time: 'ipo_release_time',
  release_qualifier: 'ipo_release_qualifier',
  reference_price: 'auction_collar_reference_price',
  upper_price: 'upper_auction_collar_price',
  lower_price: 'lower_auction_collar_price',
  extension: 'auction_collar_extention',
  action: 'operational_halt_action',
  price_variation_indicator: 'variation_indicator',
};

/** itchcpp pads text with NULs where the spec says spaces; both mean "no more characters". */
const unpadded = (v: unknown): unknown => (typeof v === 'string' ? v.replace(/[\0 ]+$/, '') : v);

describe('colo ITCH 5.0 against itchcpp', () => {
  it('decodes a message of every type that itchcpp encoded into the fields itchcpp reads back', () => {
    const file = join(dir, 'vectors.itch');
    const theirs = python(['encode', file])
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const ours = colo().decodeItch(readFileSync(file));
    expect(ours.errors).toEqual([]);
    expect(ours.messages.map((m) => m['type'])).toEqual([...'SRHYLVWKJhAFECXDUPQBINO']);
    expect(theirs.map((m) => m['type'])).toEqual([...'SRHYLVWKJhAFECXDUPQBINO']);
    ours.messages.forEach((mine, i) => {
      const other = theirs[i]!;
      const named = Object.fromEntries(Object.entries(mine).map(([k, v]) => [THEIR_NAME[k] ?? k, unpadded(v)]));
      // Every field itchcpp knows, with its value; and no field of ours it lacks (but the spare byte
      // of 'H', which itchcpp calls reserved too).
      expect(named, `message ${String(mine['type'])}`).toEqual(Object.fromEntries(Object.entries(other).map(([k, v]) => [k, unpadded(v)])));
    });
  });

  it('ends whole sessions with the best bid and offer and the message counts itchcpp finds', () => {
    const file = join(dir, 'session.itch');
    const symbols = Array.from({ length: 12 }, (_, i) => `S${String(i + 1).padStart(4, '0')}`);
    writeFileSync(file, colo().simulateItchSession({ messages: 200_000, symbols: symbols.length, seed: 9 }));
    const theirs = JSON.parse(python(['book', file, ...symbols])) as {
      counts: Record<string, number>;
      tops: Record<string, { bid: number | null; ask: number | null; bidSize: number; askSize: number }>;
    };
    const itch = new (colo().ItchFile)(file);
    itch.next(1e8);
    const ours = itch.summary();
    const counts: Record<string, number> = {};
    for (const s of ours.symbols) for (const [t, n] of Object.entries(s.messages)) counts[t] = (counts[t] ?? 0) + n;
    expect(counts).toEqual(theirs.counts);
    for (const symbol of symbols) {
      const mine = ours.symbols.find((s) => s.symbol === symbol)!;
      const other = theirs.tops[symbol]!;
      expect({ bid: mine.bid, ask: mine.ask, bidSize: mine.bidSize, askSize: mine.askSize }, symbol).toEqual({
        bid: other.bid === null ? null : expect.closeTo(other.bid, 9),
        ask: other.ask === null ? null : expect.closeTo(other.ask, 9),
        bidSize: other.bidSize,
        askSize: other.askSize,
      });
    }
  });
});
