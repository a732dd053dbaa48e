/**
 * sink.kafka and source.kafka against the real broker and schema registry: a round trip gives back
 * the records written (ts_known becomes the receive stamp), a reader restarted in its group resumes
 * with nothing lost or repeated, and what cannot work is refused with a message naming it.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { AlphaError } from '../../lib/core/errors.ts';
import { EdgeWriter } from '../../lib/io/kafka/edge-writer.ts';
import { SerialProducer } from '../../lib/io/kafka/producer.ts';
import { kafkaSink } from '../../operators/sink/kafka.ts';
import { defineSource } from '../../operators/sdk/spec.ts';
import { registry as operators } from '../../operators/index.ts';
import { feedTopology, runGraph, runLive } from '../../pipelines/harness/harness.ts';
import { systemTime } from '../../pipelines/runtime/wall-clock.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';
import type { CrossSection, Order, Quote } from '../../schemas/types.generated.ts';
import { tempDir } from '../helpers/datasets.ts';
import { kafkaTestFile, withAdmin } from '../helpers/kafka.ts';
import { privateBroker, type PrivateBroker } from '../helpers/private-broker.ts';
import { type Probe, probeSpec, runInMemory } from '../helpers/memory-graph.ts';
import { order, quote, T0 } from '../helpers/records.ts';

const { s, topic } = kafkaTestFile();
const brokers = inject('KAFKA_BROKERS');
const registry = inject('SCHEMA_REGISTRY_URL');
const at = `brokers: '${brokers}', registry: '${registry}'`;

const quotes = (n: number): Quote[] =>
  Array.from({ length: n }, (_, i) => quote(['AAA', 'BBB', 'CCC', 'DDD'][i % 4]!, T0 + i * 1000, 10 + (i % 13) / 100, 10.2, i + 1));

const sinkYaml = (t: string, extra = '') => `name: out
nodes:
  - { name: quotes, type: test.memory-quotes, params: { batch: 25 } }
  - { name: kafka, type: sink.kafka, inputs: quotes, params: { topic: ${t}, schema: Quote, ${at}${extra} } }
`;

const sourceYaml = (t: string, extra: string, schema = 'Quote') => `name: in
nodes:
  - { name: kafka, type: source.kafka, params: { topic: ${t}, schema: ${schema}, ${at}${extra} } }
  - { name: probe, type: test.probe, inputs: kafka }
`;

/** What a record is apart from the source's own fields (ts_known: the receive stamp; seq: arrival order). */
const content = (r: object): Record<string, unknown> => {
  const { ts_known: _k, seq: _s, ...rest } = r as Record<string, unknown>;
  return rest;
};
const bySymbolThenId = (a: { symbol: string; id: number }, b: { symbol: string; id: number }) =>
  a.symbol.localeCompare(b.symbol) || a.id - b.id;

async function read(t: string, extra: string, schema = 'Quote') {
  const run = await runInMemory(sourceYaml(t, extra, schema), {});
  return { records: (run.probes.get('probe')?.records ?? []) as Record<string, unknown>[], run };
}

describe('sink.kafka → source.kafka', () => {
  it('round-trips quotes: the same records, per symbol in the order written, ts_known the receive stamp', async () => {
    const t = topic('ops-quotes');
    const rows = quotes(400);
    const wrote = await runInMemory(sinkYaml(t, ', partitions: 3'), { quotes: rows });
    expect(wrote.metrics.get('kafka')?.['written']).toBe(400);
    const before = Date.now() * 1000;
    const { records } = await read(t, ', group: g-rt, start: earliest, until_offsets: end');
    const after = Date.now() * 1000;
    expect(records).toHaveLength(400);
    // Each symbol is one key, so one partition: its records arrive in the order they were written.
    for (const sym of ['AAA', 'BBB', 'CCC', 'DDD']) {
      expect(records.filter((r) => r['symbol'] === sym).map(content)).toEqual(rows.filter((r) => r.symbol === sym).map(content));
    }
    // ts_known: this process's receive time (within the read, never going back); seq: 1, 2, … in arrival order.
    const known = records.map((r) => r['ts_known'] as number);
    expect(known.every((k, i) => k >= before - 1000 && k <= after + 1000 && (i === 0 || k >= known[i - 1]!))).toBe(true);
    expect(records.map((r) => r['seq'])).toEqual(records.map((_, i) => i + 1));
    // Other consumers see the registry's wire format: magic 0, the schema id of subject <topic>-value.
    const res = await fetch(`${registry}/subjects/${t}-value/versions/latest`);
    expect(res.ok).toBe(true);
  });

  it('round-trips orders (nullable fields and enums) written from a graph', async () => {
    const t = topic('ops-orders');
    const orders: Order[] = Array.from({ length: 60 }, (_, i) =>
      order(['AAA', 'BBB', 'CCC'][i % 3]!, i % 2 ? 'BUY' : 'SELL', 100 + i, {
        ts_event: T0 + i,
        ts_known: T0 + i,
        order_id: `orders-${T0 + i}-${i}`,
        ...(i % 5 === 0
          ? { order_type: 'LIMIT' as const, limit_price: 10.5 + i / 100, time_in_force: 'IOC' as const }
          : i % 7 === 0
            ? { action: 'CANCEL' as const, target_order_id: `orders-${T0}-${i - 7}` }
            : {}),
      }),
    );
    const params = kafkaSink.params.parse({ topic: t, schema: 'Order', brokers, registry });
    const sink = { name: 'sink', type: 'sink.kafka', spec: kafkaSink, inputs: { records: ['orders'] }, params };
    await runGraph(
      feedTopology([{ ...sink, output: null, ports: {}, transport: { kind: 'inline' } }], {
        orders: { schema: 'Order', batches: [orders.slice(0, 25), orders.slice(25)] },
      }),
    );
    const { records } = await read(t, ', group: g-orders, until_offsets: end', 'Order');
    expect(records.map(content)).toEqual(orders.map(content));
  });

  it('a reader restarted in its group resumes where it stopped: nothing lost, nothing twice', async () => {
    const t = topic('ops-resume');
    const rows = quotes(300);
    await runInMemory(sinkYaml(t, ', partitions: 3'), { quotes: rows });
    const first = await read(t, ', group: g-resume, limit: 110');
    expect(first.records).toHaveLength(110);
    const rest = await read(t, ', group: g-resume, until_offsets: end');
    expect(rest.records).toHaveLength(190);
    const both = [...first.records, ...rest.records].map(content) as unknown as Quote[];
    expect(both.sort(bySymbolThenId)).toEqual((rows.map(content) as unknown as Quote[]).sort(bySymbolThenId));
    // Nothing left for the group; another group (start: earliest) reads everything again.
    expect((await read(t, ', group: g-resume, until_offsets: end')).records).toHaveLength(0);
    expect((await read(t, ', group: g-other, start: earliest, until_offsets: end')).records).toHaveLength(300);
  });
});

describe('source.kafka: cross-sections with their declared features', () => {
  it("CrossSection → sink.parquet: the declared features are the file's columns; a cross-section with others is a dead letter naming both", async () => {
    const t = topic('ops-cross');
    const cs = (i: number, features = ['f1', 'f2']): CrossSection => ({
      ts_event: T0 + i * 1000,
      ts_known: T0 + i * 1000,
      symbols: ['AAA', 'BBB'],
      features,
      values: [i, i + 0.5, -i, -i - 0.5],
      prices: [10, 20],
    });
    // sink.kafka cannot key a CrossSection (no string field): the edge writer, keyed by hand.
    const w = await EdgeWriter.open(s, { topic: t, schema: 'CrossSection', partitions: 1 });
    await w.write([cs(1), cs(2, ['f1', 'f3']), cs(3), cs(4, ['f2', 'f1'])].map((value) => ({ key: 'cs', value })));
    await w.close();
    const { topology, problems } = validateTopology(
      loadTopology(
        'cross.yaml',
        [],
        `name: cross
nodes:
  - { name: feed, type: source.kafka, params: { topic: ${t}, schema: CrossSection, features: [f1, f2], group: g-cross, start: earliest, until_offsets: end, ${at} } }
  - { name: save, type: sink.parquet, inputs: feed, params: { file: cross.parquet } }
`,
      ),
      operators,
    );
    expect(problems).toEqual([]);
    const dir = tempDir('kafka-cross');
    try {
      const run = await runGraph(topology!, { sessions: [{ open: T0, close: T0 + 390 * 60_000_000 }], outDir: dir, observe: [] });
      expect(run.deadLetters.map((d) => [d.node, d.reason])).toEqual([
        ['feed', 'cross-section features [f1, f3] differ from the declared [f1, f2] (column 2 is "f3" where "f2" is declared)'],
        ['feed', 'cross-section features [f2, f1] differ from the declared [f1, f2] (column 1 is "f2" where "f1" is declared)'],
      ]);
      const bytes = readFileSync(join(dir, 'cross.parquet'));
      const rows = (await parquetReadObjects({
        file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
        utf8: true,
        parsers: { timestampFromMicroseconds: (v: bigint) => Number(v) } as never,
      })) as Record<string, unknown>[];
      // Snapshots 1 and 3, one row per symbol: values row-major, symbols × features.
      expect(rows.map((r) => [r['ts_event'], r['symbol'], r['price'], r['f1'], r['f2']])).toEqual([
        [T0 + 1000, 'AAA', 10, 1, 1.5],
        [T0 + 1000, 'BBB', 20, -1, -1.5],
        [T0 + 3000, 'AAA', 10, 3, 3.5],
        [T0 + 3000, 'BBB', 20, -3, -3.5],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A live run (wall clock) of source.kafka into a probe, stopped once the probe holds `count` records. */
async function readLive(t: string, extra: string, count: number): Promise<Record<string, unknown>[]> {
  const probes = new Map<string, Probe>();
  const specs = new Map([...operators, ['test.probe', probeSpec(probes)]]);
  const { topology, problems } = validateTopology(loadTopology('live.yaml', [], sourceYaml(t, extra)), specs);
  if (!topology) throw new Error(problems.map((p) => p.message).join('; '));
  const stop = new AbortController();
  const watch = setInterval(() => {
    if ((probes.get('probe')?.records.length ?? 0) >= count) stop.abort();
  }, 20);
  try {
    await runLive(topology, systemTime, { live: { signal: stop.signal } });
  } finally {
    clearInterval(watch);
  }
  return (probes.get('probe')?.records ?? []) as Record<string, unknown>[];
}

describe('source.kafka in a live run', () => {
  it('commits what the graph took before a stop: the next reader of the group starts after it', async () => {
    const t = topic('ops-live');
    const rows = quotes(350);
    await runInMemory(sinkYaml(t, ', partitions: 2'), { quotes: rows.slice(0, 300) });
    const first = await readLive(t, ', group: g-live', 300);
    expect(first.map(content)).toEqual(expect.arrayContaining(rows.slice(0, 300).map(content)));
    expect(first).toHaveLength(300);
    expect((await read(t, ', group: g-live, until_offsets: end')).records).toHaveLength(0);
    await runInMemory(sinkYaml(t), { quotes: rows.slice(300) });
    const second = await readLive(t, ', group: g-live', 50);
    const sorted = (r: Record<string, unknown>[]) => (r.map(content) as unknown as Quote[]).sort(bySymbolThenId);
    expect(sorted(second)).toEqual(sorted(rows.slice(300) as never));
  });
});

describe('sink.kafka and source.kafka refuse what they cannot use', () => {
  it('a topic name that is not a name, an unknown schema, a key that is not a field: refused at validation', async () => {
    await expect(runInMemory(sinkYaml("'../etc'"), { quotes: quotes(2) })).rejects.toThrow(/topic name: a letter/);
    await expect(runInMemory(sinkYaml("'a b'"), { quotes: quotes(2) })).rejects.toThrow(/topic name/);
    await expect(runInMemory(sourceYaml('ok.topic', ', group: g', 'Quotes'), {})).rejects.toThrow(/schema.*expected one of.*"Quote"/s);
    await expect(runInMemory(sinkYaml('ok.topic', ', key: bid'), { quotes: quotes(2) })).rejects.toThrow(
      /Quote has no string field "bid"; expected one of: symbol/,
    );
    await expect(runInMemory(sourceYaml('ok.topic', ', group: "g/1"'), {})).rejects.toThrow(/consumer group id/);
    await expect(runInMemory(sinkYaml('ok.topic', '').replace('schema: Quote', 'schema: Order'), { quotes: quotes(2) })).rejects.toThrow(
      /carries Quote records; params.schema is Order/,
    );
  });

  it('a dead broker port fails the run quickly with an error naming the topic and the broker', async () => {
    const dead = (yaml: string) => yaml.replace(`brokers: '${brokers}'`, "brokers: '127.0.0.1:1'");
    const t0 = Date.now();
    const sinkFailure = await runInMemory(dead(sinkYaml('dead.topic')), { quotes: quotes(5) }).catch((e: unknown) => e);
    expect(sinkFailure).toBeInstanceOf(AlphaError);
    expect((sinkFailure as Error).message).toMatch(
      /sink\.kafka kafka: writing topic "dead\.topic" on broker 127\.0\.0\.1:1 failed: .*cannot connect/,
    );
    const sourceFailure = await runInMemory(dead(sourceYaml('dead.topic', ', group: g')), {}).catch((e: unknown) => e);
    expect(sourceFailure).toBeInstanceOf(AlphaError);
    expect((sourceFailure as Error).message).toMatch(/source\.kafka kafka: reading topic "dead\.topic" on broker 127\.0\.0\.1:1 failed/);
    expect(Date.now() - t0).toBeLessThan(15_000); // librdkafka's refusal, not a timeout
    // A topic that does not exist: named, with who creates it.
    await expect(read(topic('ops-missing'), ', group: g')).rejects.toThrow(
      /does not exist \(sink\.kafka, or another producer, creates it\)/,
    );
  });

  it("source.kafka: a compacted <topic>.dlq fails the run at its start, in the dead-letter writer's one line", async () => {
    const t = topic('ops-dlq-compact');
    await runInMemory(sinkYaml(t), { quotes: quotes(5) });
    await withAdmin(s, (admin) => admin.ensureTopic(`${t}.dlq`, 1, { 'cleanup.policy': 'compact' }));
    const failure = await read(t, ', group: g-compact, until_offsets: end').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AlphaError);
    const message = (failure as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(
      new RegExp(
        `^source\\.kafka kafka: reading topic "${t}" on broker .* failed: topic "${t}\\.dlq" has cleanup\\.policy=compact: .* set cleanup\\.policy=delete on it`,
      ),
    );
  });

  it('a record that does not fit the schema: a dead letter naming the field, and nothing of its batch on the topic', async () => {
    // The column encoder refuses the batch, and avsc's record path names what does not fit.
    for (const [field, bad, why] of [
      ['seq', Number.NaN, /value does not match schema alpha\.Quote: seq = null/],
      ['bid', 'ten', /value does not match schema alpha\.Quote: bid = "ten"/],
    ] as const) {
      const t = topic(`ops-misfit-${field}`);
      const rows = quotes(30) as unknown as Record<string, unknown>[];
      rows[27] = { ...rows[27]!, [field]: bad };
      const run = await runInMemory(sinkYaml(t), { quotes: rows as unknown as Quote[] });
      expect(
        run.deadLetters.map((d) => d.reason),
        field,
      ).toEqual([expect.stringMatching(why)]);
      // The first batch (25 records) went out; the batch holding the misfit sent nothing.
      expect(run.metrics.get('kafka')?.['written']).toBe(25);
      const held = await withAdmin(s, (admin) => admin.offsets(t));
      expect(held.reduce((n, p) => n + p.high - p.low, 0)).toBe(25);
    }
  });

  it('a message that is not Avro goes to <topic>.dlq and the run dead letters, and the rest is delivered', async () => {
    const t = topic('ops-garbage');
    const rows = quotes(20);
    await runInMemory(sinkYaml(t), { quotes: rows.slice(0, 10) });
    const raw = new SerialProducer(s, 'garbage');
    await raw.prepare(t);
    await raw.send([{ topic: t, partition: 0, key: Buffer.from('AAA'), value: Buffer.from('not avro at all'), headers: {} }]);
    await raw.close();
    await runInMemory(sinkYaml(t), { quotes: rows.slice(10) });
    const { records, run } = await read(t, ', group: g-garbage, until_offsets: end');
    expect(records.map(content)).toEqual(rows.map(content));
    expect(run.deadLetters).toHaveLength(1);
    expect(run.deadLetters[0]!.reason).toMatch(/undecodable record, kept in .*\.dlq: magic byte is 110/);
    const dlq = await withAdmin(s, (admin) => admin.offsets(`${t}.dlq`));
    expect(dlq.reduce((n, p) => n + p.high - p.low, 0)).toBe(1);
    // Committed past it: the group finds nothing more.
    expect((await read(t, ', group: g-garbage, until_offsets: end')).records).toHaveLength(0);
  });
});

describe('sink.kafka and source.kafka when their broker dies mid-run', () => {
  let broker: PrivateBroker;
  beforeAll(async () => {
    broker = await privateBroker();
  }, 180_000);
  afterAll(() => broker?.stop());

  it('fails the run with an error naming the topic and the broker once delivery times out: no hang', async () => {
    const t = topic('ops-lost');
    // Quotes in two batches; the second waits until the test has killed the broker.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const rows = quotes(20);
    let step = 0;
    const gated = defineSource({
      type: 'test.gated-quotes',
      summary: 'Two batches of quotes, the second after a gate opens.',
      output: 'Quote',
      params: z.strictObject({}),
      open: () => ({
        next: async () => {
          step++;
          if (step === 1) return rows.slice(0, 10);
          if (step === 2) return gate.then(() => rows.slice(10));
          return null;
        },
        close: async () => {},
      }),
    });
    const yaml = `name: lost
nodes:
  - { name: quotes, type: test.gated-quotes }
  - { name: kafka, type: sink.kafka, inputs: quotes, params: { topic: ${t}, schema: Quote, brokers: '${broker.brokers}', registry: '${registry}', delivery_timeout_ms: 2000 } }
`;
    const { topology, problems } = validateTopology(
      loadTopology('lost.yaml', [], yaml),
      new Map([...operators, ['test.gated-quotes', gated]]),
    );
    if (!topology) throw new Error(problems.map((p) => p.message).join('; '));
    const run = runGraph(topology, { observe: [] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const lost = { ...s, brokers: [broker.brokers] };
    // The first batch is on the broker: then it dies, and the second batch is sent.
    for (let i = 0; i < 200; i++) {
      const offsets = await withAdmin(lost, (admin) => admin.offsets(t)).catch(() => []);
      if (offsets.reduce((n, p) => n + p.high, 0) >= 10) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    broker.kill();
    const killedAt = Date.now();
    open();
    const failure = await run;
    expect(failure).toBeInstanceOf(AlphaError);
    expect((failure as Error).message).toMatch(
      new RegExp(`^sink\\.kafka kafka: writing topic "${t.replaceAll('.', '\\.')}" on broker ${broker.brokers} failed: `),
    );
    expect(Date.now() - killedAt).toBeLessThan(20_000); // the delivery timeout (2 s) and the client's close, not a hang
  }, 60_000);
  it('source.kafka: a live run stopped after its broker died ends in bounded time, failing on the offsets it could not commit', async () => {
    broker.start(); // the test before killed it
    const t = topic('ops-src-lost');
    const on = `brokers: '${broker.brokers}', registry: '${registry}'`;
    await runInMemory(
      `name: out
nodes:
  - { name: quotes, type: test.memory-quotes, params: { batch: 25 } }
  - { name: kafka, type: sink.kafka, inputs: quotes, params: { topic: ${t}, schema: Quote, ${on} } }
`,
      { quotes: quotes(100) },
    );
    const probes = new Map<string, Probe>();
    const specs = new Map([...operators, ['test.probe', probeSpec(probes)]]);
    const yaml = `name: in
nodes:
  - { name: kafka, type: source.kafka, params: { topic: ${t}, schema: Quote, group: g-src-lost, ${on} } }
  - { name: probe, type: test.probe, inputs: kafka }
`;
    const { topology, problems } = validateTopology(loadTopology('live.yaml', [], yaml), specs);
    if (!topology) throw new Error(problems.map((p) => p.message).join('; '));
    const stop = new AbortController();
    const run = runLive(topology, systemTime, { live: { signal: stop.signal } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // The graph took every record (each batch is committed in the background when the next is asked for).
    for (let i = 0; i < 800 && (probes.get('probe')?.records.length ?? 0) < 100; i++) await new Promise((r) => setTimeout(r, 25));
    expect(probes.get('probe')?.records).toHaveLength(100);
    broker.kill();
    const killedAt = Date.now();
    stop.abort();
    const failure = await run;
    expect(failure).toBeInstanceOf(AlphaError);
    expect((failure as Error).message).toContain(
      `source.kafka kafka: at the stop, the offsets read from "${t}" were not committed (committing offsets: no answer from the group's coordinator`,
    );
    expect((failure as Error).message).toContain(`on broker ${broker.brokers} (is it up?)`);
    // The bounded commit and the bounded close (5 s each), not librdkafka's waits for a coordinator that is gone.
    expect(Date.now() - killedAt).toBeLessThan(20_000);
  }, 90_000);
});
