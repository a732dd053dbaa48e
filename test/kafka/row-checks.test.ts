/**
 * source.kafka applies source.replay's row checks to quotes and trades (operators/sdk/replay.ts, on
 * the columns): a row with a NaN, infinite or non-positive price, a bad size, a crossed quote, or a
 * symbol outside the run's universe is a dead letter with the replay's reason, and the rest of its
 * batch is delivered. In a run without a universe only an empty symbol, or one over 64 characters,
 * is refused for its symbol. The records go to the real broker through sink.kafka (Avro doubles hold
 * NaN and ±Infinity, and the sink checks nothing of this).
 */
import { describe, expect, inject, it } from 'vitest';
import type { Bar, CrossSection, Quote, Trade } from '../../schemas/types.generated.ts';
import { EdgeWriter } from '../../lib/io/kafka/edge-writer.ts';
import { kafkaTestFile } from '../helpers/kafka.ts';
import { runInMemory } from '../helpers/memory-graph.ts';
import { bar, quote, T0, trade } from '../helpers/records.ts';
import { refusedQuotes } from '../helpers/refused-quotes.ts';

const { s, topic } = kafkaTestFile();
const at = `brokers: '${inject('KAFKA_BROKERS')}', registry: '${inject('SCHEMA_REGISTRY_URL')}'`;
const universe = ['AAA', 'BBB'].map((symbol) => ({ symbol, sector: 'X' }));

const sinkYaml = (t: string, schema: 'Quote' | 'Trade') => `name: out
nodes:
  - { name: rows, type: test.memory-${schema === 'Quote' ? 'quotes' : 'trades'}, params: { batch: 100 } }
  - { name: kafka, type: sink.kafka, inputs: rows, params: { topic: ${t}, schema: ${schema}, partitions: 1, ${at} } }
`;
const sourceYaml = (t: string, schema: 'Quote' | 'Trade', group: string, extra = '') => `name: in
nodes:
  - { name: kafka, type: source.kafka, params: { topic: ${t}, schema: ${schema}, group: ${group}, start: earliest, until_offsets: end, ${extra}${at} } }
  - { name: probe, type: test.probe, inputs: kafka }
`;

/** Each bad row after a good one: the good ones are ids 1, 3, 5, …, the bad ones 2, 4, 6, …. */
function interleave<T extends Quote | Trade>(good: (id: number) => T, bad: readonly [Partial<T>, string][]): T[] {
  return bad.flatMap(([change], i) => [good(2 * i + 1), { ...good(2 * i + 2), ...change }]);
}

describe('source.kafka: the replay row checks on quotes and trades', () => {
  it("a quote source.replay would refuse is a dead letter with the replay's reason; the rest of the batch is delivered", async () => {
    const t = topic('rows-quotes');
    // The long symbol: key and value ~400 KB each, under the broker's 1 MB.
    const bad = refusedQuotes(400_000);
    const rows = interleave((id) => quote(id % 4 === 1 ? 'AAA' : 'BBB', T0 + id * 1000, 10, 10.1, id), bad);
    await runInMemory(sinkYaml(t, 'Quote'), { quotes: rows });

    const run = await runInMemory(sourceYaml(t, 'Quote', 'g-rows-q'), { universe });
    const got = (run.probes.get('probe')?.records ?? []) as Quote[];
    expect(got.map((r) => r.id)).toEqual(bad.map((_, i) => 2 * i + 1));
    expect(run.deadLetters.map((d) => d.reason)).toEqual(bad.map(([, why]) => why));
    expect(run.deadLetters.map((d) => (JSON.parse(d.payload) as Quote).id)).toEqual(bad.map((_, i) => 2 * i + 2));

    // No universe (a live run without a data folder): a symbol is refused only when empty or over 64 characters.
    const open = await runInMemory(sourceYaml(t, 'Quote', 'g-rows-q-open'), {});
    expect(open.deadLetters.map((d) => d.reason)).toEqual([
      ...bad.filter(([, why]) => !why.startsWith('unknown symbol')).map(([, why]) => why),
      'symbol "": the run has no universe; expected 1 to 64 characters',
      `symbol "${'X'.repeat(64)}…" (400000 characters): the run has no universe; expected 1 to 64 characters`,
    ]);
    expect(((open.probes.get('probe')?.records ?? []) as Quote[]).map((r) => r.symbol).at(-1)).toBe('ZZZ');

    // outside_universe: skip (a topic carrying a whole market): rows of other symbols are passed over
    // and counted; the rest are checked as before.
    const skipping = await runInMemory(sourceYaml(t, 'Quote', 'g-rows-q-skip', 'outside_universe: skip, '), { universe });
    const outside = bad.filter(([change]) => change.symbol !== undefined);
    expect(outside).toHaveLength(3);
    expect(skipping.deadLetters.map((d) => d.reason)).toEqual(bad.filter(([change]) => change.symbol === undefined).map(([, why]) => why));
    expect(skipping.metrics.get('kafka')?.['outside_universe']).toBe(outside.length);
    expect(((skipping.probes.get('probe')?.records ?? []) as Quote[]).map((r) => r.id)).toEqual(bad.map((_, i) => 2 * i + 1));
  }, 30_000);

  it("a trade source.replay would refuse is a dead letter with the replay's reason", async () => {
    const t = topic('rows-trades');
    const bad: [Partial<Trade>, string][] = [
      [{ price: Number.NaN }, 'bad trade price NaN (prices must be numbers above 0 and at most 1e+9)'],
      [{ price: Number.POSITIVE_INFINITY }, 'bad trade price Infinity (prices must be numbers above 0 and at most 1e+9)'],
      [{ size: Number.NEGATIVE_INFINITY }, 'bad trade size -Infinity (must be a positive finite number)'],
      [{ size: Number.POSITIVE_INFINITY }, 'bad trade size Infinity (must be a positive finite number)'],
      [{ symbol: 'ZZZ' }, `unknown symbol "ZZZ": not in the dataset's universe`],
    ];
    const rows = interleave((id) => trade('AAA', T0 + id * 1000, 10, 100, id), bad);
    await runInMemory(sinkYaml(t, 'Trade'), { trades: rows });
    const run = await runInMemory(sourceYaml(t, 'Trade', 'g-rows-t'), { universe });
    expect(((run.probes.get('probe')?.records ?? []) as Trade[]).map((r) => r.id)).toEqual(bad.map((_, i) => 2 * i + 1));
    expect(run.deadLetters.map((d) => d.reason)).toEqual(bad.map(([, why]) => why));
  }, 30_000);

  it('a bar with a price that is not positive and finite, a low above its high, a bad volume or an unknown symbol is a dead letter', async () => {
    // As the hybrid graph's cloud group reads the colo group's bars: they vanished downstream before.
    const t = topic('rows-bars');
    const bad: [Partial<Bar>, string][] = [
      [{ close: Number.NaN }, 'bad bar price: open 10, high 10, low 10, close NaN (prices must be numbers above 0 and at most 1e+9)'],
      [
        { close: -1e300, low: -1e300 },
        'bad bar price: open 10, high 10, low -1e+300, close -1e+300 (prices must be numbers above 0 and at most 1e+9)',
      ],
      [
        { close: 5e9, high: 5e9 },
        'bad bar price: open 10, high 5000000000, low 10, close 5000000000 (prices must be numbers above 0 and at most 1e+9)',
      ],
      [{ low: 11 }, 'bad bar: low 11 > high 10'],
      [{ volume: Number.POSITIVE_INFINITY }, 'bad bar volume Infinity (must be a finite number >= 0)'],
      [{ symbol: 'EVIL' }, `unknown symbol "EVIL": not in the dataset's universe`],
    ];
    const rows = bad.flatMap(([change], i) => [bar('AAA', T0 + (2 * i + 1) * 1000, 10), bar('AAA', T0 + (2 * i + 2) * 1000, 10, change)]);
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Bar', partitions: 1 });
    await w.write(rows.map((value) => ({ key: value.symbol, value })));
    await w.close();
    const run = await runInMemory(
      `name: in
nodes:
  - { name: kafka, type: source.kafka, params: { topic: ${t}, schema: Bar, group: g-rows-bars, start: earliest, until_offsets: end, ${at} } }
  - { name: probe, type: test.probe, inputs: kafka }
`,
      { universe },
    );
    expect(run.deadLetters.map((d) => d.reason)).toEqual(bad.map(([, why]) => why));
    expect(((run.probes.get('probe')?.records ?? []) as Bar[]).map((r) => r.ts_event)).toEqual(bad.map((_, i) => T0 + (2 * i + 1) * 1000));
  }, 30_000);

  it('a cross-section whose arrays disagree, or that names a symbol or feature twice, is a dead letter with the lengths', async () => {
    const t = topic('rows-cross');
    const cs = (i: number, change: Partial<CrossSection> = {}): CrossSection => ({
      ts_event: T0 + i * 1000,
      ts_known: T0 + i * 1000,
      symbols: ['AAA', 'BBB'],
      features: ['f1', 'f2'],
      values: [1, 2, 3, 4],
      prices: [10, 20],
      ...change,
    });
    // 2 symbols × 2 features: values needs 4 entries, prices 2.
    const bad: [Partial<CrossSection>, string][] = [
      [{ values: [0.5] }, 'values has 1 entries for 2 symbol(s) × 2 feature(s) (must be 4)'],
      [{ values: [1, 2, 3, 4, 5, 6] }, 'values has 6 entries for 2 symbol(s) × 2 feature(s) (must be 4)'],
      [{ prices: [1] }, 'prices has 1 entries for 2 symbol(s) (must be one per symbol)'],
      [{ symbols: ['AAA', 'AAA'] }, 'symbol "AAA" appears twice in symbols (each row once)'],
      [{ features: ['f1', 'f1'] }, 'feature "f1" appears twice in features (each column once)'],
    ];
    const rows = bad.flatMap(([change], i) => [cs(2 * i + 1), cs(2 * i + 2, change)]);
    // sink.kafka cannot key a CrossSection (it has no string field): the edge writer, keyed by hand.
    const w = await EdgeWriter.open(s, { topic: t, schema: 'CrossSection', partitions: 1 });
    await w.write(rows.map((value) => ({ key: 'cs', value })));
    await w.close();
    const run = await runInMemory(
      `name: in
nodes:
  - { name: kafka, type: source.kafka, params: { topic: ${t}, schema: CrossSection, features: [f1, f2], group: g-rows-cs, start: earliest, until_offsets: end, ${at} } }
  - { name: probe, type: test.probe, inputs: kafka }
`,
      { universe },
    );
    expect(run.deadLetters.map((d) => d.reason)).toEqual(bad.map(([, why]) => `malformed cross-section: ${why}`));
    expect(run.deadLetters.map((d) => (JSON.parse(d.payload) as CrossSection).ts_event)).toEqual(
      bad.map((_, i) => T0 + (2 * i + 2) * 1000),
    );
    expect(((run.probes.get('probe')?.records ?? []) as CrossSection[]).map((r) => r.ts_event)).toEqual(
      bad.map((_, i) => T0 + (2 * i + 1) * 1000),
    );
  }, 30_000);
});
