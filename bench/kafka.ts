/**
 * One Kafka edge with Quote records: Avro in the Confluent wire format (magic 0, 4-byte schema id,
 * Avro body), key = symbol. The project's adapter (lib/io/kafka: EdgeWriter → broker → EdgeReader,
 * end to end with commits), with latency percentiles from a send stamp carried in `ts_known`; `kcat`
 * on the same bytes is the ceiling. (The pure-JS clients, kafkajs and @platformatic/kafka, were
 * measured here until the adapter moved to librdkafka: see bench/README.md for their figures.)
 *
 *   node --import tsx bench/kafka.ts [--records N] [--partitions P] [--batch B] [--rounds R] [--only adapter,columns,adapter2,ops,kcat,split]
 *
 * `adapter` runs both ends in this process, a record object per quote on each side (`write` →
 * `next`, as the split's group edges use it); `columns` the same with column batches on both sides
 * (`writeColumns` → `nextBatch`, as sink.kafka and source.kafka use it); `adapter2` the writer in a
 * process of its own (bench/kafka-edge-writer.ts), as kcat's pair and a split run's edge are. Those
 * and kcat run in `--rounds` alternating rounds, each adapter figure read against kcat's of the same round.
 *
 * `ops` runs the operators on the same adapter inside graphs: sink.kafka writes the quotes from a
 * harness feed (to the broker's last acknowledgement), then source.kafka reads them back to the end
 * offsets into a counting sink; each beside the adapter's and kcat's figures of the same run.
 *
 * Before those, always: the codec alone (avsc and the column codec on the run's quotes), and the
 * split's normalised edge's value (a 40×116 CrossSection) framed by SchemaCodec.encodeAll beside
 * avsc's toBuffer.
 *
 * `split` (not run unless named) times `alpha backtest examples/kafka-split.yaml` in one process and
 * with `--split`, in `--rounds` alternating pairs, and checks that both write the same fills; beside
 * each wall time, the CPU it took (its processes', and the broker's and registry's during the split).
 *
 * Traffic goes to 127.0.0.1 only. Starts the services with scripts/services/up.sh if they are down.
 */
import { childrenCpuSeconds, processCpuSeconds } from './proc-cpu.ts';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { z } from 'zod';
import type { CrossSection, Quote } from '../schemas/types.generated.ts';
import { ColumnBatch } from '../lib/core/column-batch.ts';
import { TopicAdmin } from '../lib/io/kafka/admin.ts';
import { kafkaSink } from '../operators/sink/kafka.ts';
import { kafkaSource } from '../operators/source/kafka.ts';
import { handle, onColumns } from '../operators/sdk/handle.ts';
import { defineOperator, type AnySpec } from '../operators/sdk/spec.ts';
import { feedTopology, runGraph } from '../pipelines/harness/harness.ts';
import type { ResolvedNode } from '../pipelines/topology/model.ts';
import { EdgeReader } from '../lib/io/kafka/edge-reader.ts';
import { EdgeWriter } from '../lib/io/kafka/edge-writer.ts';
import { kafkaGiveUpMs, kafkaSettings } from '../lib/io/kafka/settings.ts';
import { benchFlags, namesFrom, wholeNumber } from './flags.ts';
import { median } from './median.ts';
import { nowMicros, quote as quoteOf, quoteColumns, symbolNames, writeQuoteColumns, writeQuotes } from './kafka-quotes.ts';
import { AvroColumns } from '../lib/io/kafka/avro-columns.ts';
import { avroType, SchemaCodec } from '../lib/io/kafka/schema-codec.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BROKER = '127.0.0.1:9092';
const REGISTRY = 'http://127.0.0.1:8081/apis/ccompat/v7';

const flags = benchFlags('kafka', {
  records: { type: 'string', default: '500000' },
  partitions: { type: 'string', default: '6' },
  batch: { type: 'string', default: '8000' },
  symbols: { type: 'string', default: '100' },
  rounds: { type: 'string', default: '3' },
  only: { type: 'string' },
});
// The codec line holds every record encoded at once (~150 B each in the heap): 5M stays well inside Node's default heap.
const N = wholeNumber(flags, 'records', { max: 5_000_000 });
const PARTITIONS = wholeNumber(flags, 'partitions', { max: 1000 });
const BATCH = wholeNumber(flags, 'batch', { max: 1_000_000 });
const SYMBOLS = wholeNumber(flags, 'symbols', { max: 100_000 });
/** Rounds of the adapter and kcat, each ratio taken within its round (kcat's own rate moves 2× between minutes). */
const ROUNDS = wholeNumber(flags, 'rounds', { max: 100 });
let round = 0;
const DEBUG = process.env['BENCH_DEBUG'] === '1';
const chosen =
  flags.values.only === undefined ? undefined : namesFrom(flags, 'only', ['adapter', 'columns', 'adapter2', 'ops', 'kcat', 'split']);
const only = (name: string): boolean => (chosen === undefined ? name !== 'split' : chosen.includes(name));

// ---------------------------------------------------------------- services

function servicesUp(): boolean {
  return spawnSync('bash', [join(ROOT, 'scripts/services/status.sh')], { stdio: 'ignore' }).status === 0;
}
if (!servicesUp()) {
  console.log('services down: running scripts/services/up.sh …');
  const r = spawnSync('bash', [join(ROOT, 'scripts/services/up.sh')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('scripts/services/up.sh failed');
}

// ---------------------------------------------------------------- Avro, Confluent framing

const QUOTE_AVSC = readFileSync(join(ROOT, 'schemas/Quote.avsc'), 'utf8');
const quoteType = avro.Type.forSchema(JSON.parse(QUOTE_AVSC) as avro.Schema);
const registry = new SchemaRegistry({ host: REGISTRY });
const quirks: string[] = [];

/** Registers Quote under `<topic>-value`: the registry client first, plain HTTP if that fails. */
async function register(topic: string): Promise<number> {
  const subject = `${topic}-value`;
  try {
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: QUOTE_AVSC }, { subject });
    return id;
  } catch (err) {
    quirks.push(`@kafkajs/confluent-schema-registry register() failed against Apicurio: ${String(err)}; fell back to HTTP`);
    const res = await fetch(`${REGISTRY}/subjects/${encodeURIComponent(subject)}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schemaType: 'AVRO', schema: QUOTE_AVSC }),
    });
    if (!res.ok) throw new Error(`HTTP register ${subject}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: number }).id;
  }
}

const SYMBOL_NAMES = symbolNames(SYMBOLS);
const SYMBOL_KEYS = SYMBOL_NAMES.map((s) => Buffer.from(s));
const quote = (i: number, sendMicros: number): Quote => quoteOf(SYMBOL_NAMES, i, sendMicros);

/** Confluent wire format: 0x00, schema id (int32 BE), Avro body. */
function encode(schemaId: number, q: Quote): Buffer {
  const body = quoteType.toBuffer(q);
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = 0;
  out.writeInt32BE(schemaId, 1);
  body.copy(out, 5);
  return out;
}

function decode(schemaId: number, buf: Buffer): Quote {
  if (buf[0] !== 0 || buf.readInt32BE(1) !== schemaId) throw new Error(`not Confluent-framed schema ${schemaId}`);
  return quoteType.decode(buf, 5).value as Quote;
}

interface Msg {
  key: Buffer;
  value: Buffer;
}
/** Encodes messages [from, to) with ts_known stamped now. */
function encodeBatch(schemaId: number, from: number, to: number): Msg[] {
  const out: Msg[] = new Array<Msg>(to - from);
  const t = nowMicros();
  for (let i = from; i < to; i++) out[i - from] = { key: SYMBOL_KEYS[i % SYMBOLS]!, value: encode(schemaId, quote(i, t)) };
  return out;
}

// ---------------------------------------------------------------- results

interface Row {
  round: number;
  client: string;
  produce: number; // records/s
  consume: number; // records/s, first record → last
  e2e: number; // records/s, first send → last decode
  p50: number; // ms
  p99: number; // ms
  bytes: number; // average encoded value size
}
const rows: Row[] = [];

const admin = await TopicAdmin.connect({ ...kafkaSettings(), clientId: 'bench' });
const RUN = `${Date.now().toString(36)}`;
const createdTopics: string[] = [];

async function freshTopic(name: string): Promise<{ topic: string; schemaId: number }> {
  const topic = `bench.quote.${RUN}.${round}.${name.replace(/[^A-Za-z0-9._-]/g, '')}`;
  await admin.ensureTopic(topic, PARTITIONS);
  createdTopics.push(topic);
  return { topic, schemaId: await register(topic) };
}

async function endOffsetSum(topic: string): Promise<number> {
  const offs = await admin.offsets(topic);
  return offs.reduce((s, o) => s + o.high, 0);
}

// ---------------------------------------------------------------- the adapter: one edge end to end

/** The quotes an edge's reader got: each seq once, the latency of each, and how many came twice. */
class Arrivals {
  readonly latencies = new Float64Array(N);
  count = 0;
  duplicates = 0;
  private readonly seen = new Uint8Array(N);

  add(seq: number, tsKnown: number, now: number): void {
    if (this.seen[seq] === 1) {
      this.duplicates++;
      return;
    }
    this.seen[seq] = 1;
    this.latencies[this.count++] = now - tsKnown;
  }

  /** The edge's time from `t0` and its latency percentiles; duplicates and dead letters are noted as `who`'s. */
  done(t0: number, who: string, deadLettered: number): { e2eMs: number; p50: number; p99: number } {
    const e2eMs = performance.now() - t0;
    if (this.duplicates > 0) quirks.push(`${who}: ${this.duplicates} duplicate records consumed`);
    if (deadLettered > 0) quirks.push(`${who}: ${deadLettered} records dead-lettered`);
    const sorted = this.latencies.slice(0, this.count).sort();
    const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
    return { e2eMs, p50: pct(0.5) / 1000, p99: pct(0.99) / 1000 };
  }
}

/** Reads the N quotes of one edge; `t0` is when the first send began. */
async function readEdge(reader: EdgeReader<Quote>, t0: number): Promise<{ e2eMs: number; p50: number; p99: number }> {
  const got = new Arrivals();
  while (got.count < N) {
    const items = await reader.next();
    const now = nowMicros();
    const before = got.count;
    for (const it of items) if (it.kind === 'record') got.add(it.value.seq, it.value.ts_known, now);
    await reader.commit(items);
    if (DEBUG && Math.floor(got.count / 50_000) > Math.floor(before / 50_000))
      console.log(`  read ${got.count}/${N}, ${got.duplicates} duplicates`);
  }
  return got.done(t0, 'adapter', reader.deadLettered);
}

/** {@link readEdge} through the column path: `nextBatch`, the quotes' seq and ts_known read from their columns. */
async function readEdgeColumns(reader: EdgeReader<Quote>, t0: number): Promise<{ e2eMs: number; p50: number; p99: number }> {
  const got = new Arrivals();
  while (got.count < N) {
    const b = await reader.nextBatch();
    const now = nowMicros();
    const { seq, ts_known } = b.records.columns as { seq: Float64Array; ts_known: Float64Array };
    for (let i = b.records.start; i < b.records.end; i++) got.add(seq[i]!, ts_known[i]!, now);
    await reader.commitBatch(b);
  }
  return got.done(t0, 'adapter (columns)', reader.deadLettered);
}

/** An adapter's row of this round: the writer's own rate, and the edge's end to end. */
const adapterRow = (client: string, produceMs: number, read: { e2eMs: number; p50: number; p99: number }): Row => ({
  round,
  client,
  produce: N / (produceMs / 1000),
  consume: NaN,
  e2e: N / (read.e2eMs / 1000),
  p50: read.p50,
  p99: read.p99,
  bytes: 0,
});

/** Fails a minute after every record was written and acknowledged, if the reader has not had them all by then. */
const readTimeout = (topic: string): Promise<never> =>
  new Promise((_, reject) => {
    setTimeout(
      () => reject(new Error(`${topic}: every record acknowledged, and the reader still short of ${N} a minute later`)),
      60_000,
    ).unref();
  });

/**
 * Both ends in this process, on one JavaScript thread (which also builds every Quote): as records
 * (`write` → `next`), or as column batches (`writeColumns` → `nextBatch`).
 */
async function benchAdapter(columns = false): Promise<void> {
  const settings = { ...kafkaSettings(), clientId: 'bench-adapter' };
  const topic = `bench.quote.${RUN}.${round}.adapter${columns ? '-columns' : ''}`;
  createdTopics.push(topic, `${topic}.dlq`);
  const writer = await EdgeWriter.open(settings, {
    topic,
    schema: 'Quote',
    partitions: PARTITIONS,
    producer: { 'message.timeout.ms': String(kafkaGiveUpMs()) },
  });
  const reader = await EdgeReader.open(settings, { topic, schema: 'Quote', groupId: `${topic}.g`, fromBeginning: true });
  const t0 = performance.now();
  const produce = (columns ? writeQuoteColumns(writer, SYMBOL_NAMES, N, BATCH) : writeQuotes(writer, SYMBOL_NAMES, N, BATCH)).then(
    () => performance.now() - t0,
  );
  // A failed write ends the wait for records that will not come, and so does a minute with all written.
  const read = await Promise.race([(columns ? readEdgeColumns : readEdge)(reader, t0), produce.then(() => readTimeout(topic))]);
  const produceMs = await produce;
  await writer.close();
  await reader.close();
  rows.push(
    adapterRow(
      columns ? 'adapter, one process, columns (writeColumns→nextBatch)' : 'adapter, one process (EdgeWriter→EdgeReader)',
      produceMs,
      read,
    ),
  );
}

/**
 * The writer in a process of its own (bench/kafka-edge-writer.ts), the reader here: an edge of a
 * split run, and the layout of kcat's end-to-end pair (a producer process and a consumer process).
 * Timed from the writer's go (opened, topic and schema ready) to the last record read.
 */
async function benchAdapterTwoProcesses(): Promise<void> {
  const topic = `bench.quote.${RUN}.${round}.adapter2`;
  createdTopics.push(topic, `${topic}.dlq`);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/kafka-edge-writer.ts'), topic, String(N), String(BATCH), String(PARTITIONS), String(SYMBOLS)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ? `was killed (${signal})` : `exited with ${code}`)),
  );
  const lines = createInterface({ input: child.stdout! });
  const line = (): Promise<string> =>
    new Promise((resolve, reject) => {
      lines.once('line', resolve);
      void exited.then((how) => reject(new Error(`the writer process (bench/kafka-edge-writer.ts) ${how}`)));
    });
  try {
    if ((await line()) !== 'ready') throw new Error('bench/kafka-edge-writer.ts did not say ready');
    const reader = await EdgeReader.open(
      { ...kafkaSettings(), clientId: 'bench-adapter-reader' },
      { topic, schema: 'Quote', groupId: `${topic}.g`, fromBeginning: true },
    );
    const t0 = performance.now();
    const done = line();
    child.stdin!.write('go\n');
    // The writer failing ends the wait for records that will not come, and so does a minute with all written.
    const read = await Promise.race([readEdge(reader, t0), done.then(() => readTimeout(topic))]);
    const { produceMs } = JSON.parse(await done) as { produceMs: number };
    await reader.close();
    rows.push(adapterRow('adapter, writer and reader processes', produceMs, read));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------- the operators: sink.kafka → source.kafka

/** A node of `spec` for the harness, its params parsed as validation would. */
function node(name: string, spec: AnySpec, params: unknown, inputs: Record<string, string[]>): ResolvedNode {
  const parsed = spec.params.parse(params);
  const output = spec.kind === 'source' ? (params as { schema: 'Quote' }).schema : null;
  return {
    name,
    type: spec.type,
    spec,
    inputs,
    params: parsed,
    output,
    ports: output ? { out: output } : {},
    transport: { kind: 'inline' },
  };
}

async function benchOperators(): Promise<void> {
  const settings = kafkaSettings();
  const topic = `bench.quote.${RUN}.ops`;
  createdTopics.push(topic, `${topic}.dlq`);
  const at = { brokers: settings.brokers.join(','), registry: settings.registryUrl };
  const t = nowMicros();
  const batches: ColumnBatch<Quote>[] = [];
  for (let from = 0; from < N; from += BATCH) {
    const records: Quote[] = [];
    for (let i = from; i < Math.min(N, from + BATCH); i++) records.push(quote(i, t + i));
    batches.push(ColumnBatch.fromRecords(records));
  }
  const sink = node('sink', kafkaSink, { topic, schema: 'Quote', partitions: PARTITIONS, ...at }, { records: ['quotes'] });
  let t0 = performance.now();
  await runGraph(feedTopology([sink], { quotes: { schema: 'Quote', batches } }), { observe: [] });
  const produceMs = performance.now() - t0;
  const written = await endOffsetSum(topic);
  if (written !== N) quirks.push(`ops: ${written} records in the topic after sink.kafka wrote ${N}`);

  let count = 0;
  const counter = defineOperator({
    type: 'bench.count',
    summary: 'Counts the rows it is given.',
    inputs: { records: { schema: '*', description: 'Anything.' } },
    output: null,
    params: z.strictObject({}),
    create: (_p, ctx) => (ports) =>
      handle<never>(ctx, [
        onColumns(ports.records as never, (b: ColumnBatch<unknown>) => {
          count += b.length;
        }),
      ]),
  });
  const source = node(
    'source',
    kafkaSource,
    { topic, schema: 'Quote', group: `${topic}.g`, start: 'earliest', until_offsets: 'end', ...at },
    {},
  );
  const topology = { ...feedTopology([], {}), nodes: [source, node('count', counter, {}, { records: ['source'] })] };
  t0 = performance.now();
  await runGraph(topology, { observe: [] });
  const consumeMs = performance.now() - t0;
  if (count !== N) quirks.push(`ops: source.kafka delivered ${count} of ${N} records`);
  rows.push({
    round,
    client: 'sink.kafka / source.kafka (graphs)',
    produce: N / (produceMs / 1000),
    consume: N / (consumeMs / 1000),
    e2e: NaN,
    p50: NaN,
    p99: NaN,
    bytes: 0,
  });
}

// ---------------------------------------------------------------- kcat, same bytes

function run(cmd: string, args: string[], stdinFile?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: [stdinFile ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    if (stdinFile && p.stdin) p.stdin.end(readFileSync(stdinFile));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${cmd} ${args.join(' ')} → ${code}: ${err}`)),
    );
  });
}

async function benchKcat(): Promise<void> {
  const a = await freshTopic('kcat.split');
  const dir = mkdtempSync(join(tmpdir(), 'kcat-bench-'));
  const file = join(dir, 'quotes.bin');
  // Delimiters: byte sequences absent from every key and value (checked below), so the bytes are the same as ours.
  const KEY_DELIM = Buffer.from([0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9]);
  const MSG_DELIM = Buffer.from([0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6]);
  const hex = (b: Buffer): string => [...b].map((x) => `\\x${x.toString(16).padStart(2, '0')}`).join('');
  const out = createWriteStream(file);
  let bytes = 0;
  for (let from = 0; from < N; from += BATCH) {
    const chunk: Buffer[] = [];
    for (const m of encodeBatch(a.schemaId, from, Math.min(N, from + BATCH))) {
      if (m.value.includes(KEY_DELIM) || m.value.includes(MSG_DELIM) || m.key.includes(KEY_DELIM))
        throw new Error('delimiter occurs in data');
      chunk.push(m.key, KEY_DELIM, m.value, MSG_DELIM);
      bytes += m.value.length;
    }
    out.write(Buffer.concat(chunk));
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  const avgBytes = bytes / N;
  const common = ['-b', BROKER, '-X', 'enable.idempotence=true', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-q'];
  const produceMs = await run('kcat', ['-P', ...common, '-t', a.topic, '-K', hex(KEY_DELIM), '-D', hex(MSG_DELIM)], file);
  const written = await endOffsetSum(a.topic);
  if (written !== N) quirks.push(`kcat: ${written} records in the topic after producing ${N} (delimiter parsing?)`);
  const consumeArgs = (topic: string): string[] => [
    '-b',
    BROKER,
    '-G',
    `${topic}.g`,
    '-X',
    'auto.offset.reset=earliest',
    '-c',
    String(N),
    '-q',
    '-D',
    '',
    topic,
  ];
  const consumeMs = await run('kcat', consumeArgs(a.topic));
  // end to end: consumer started first, then the producer; wall clock of the pair
  const b = await freshTopic('kcat.e2e');
  // same schema id in the bytes is fine for kcat: it never decodes
  const t0 = performance.now();
  const cons = run('kcat', consumeArgs(b.topic));
  await new Promise((r) => setTimeout(r, 3000)); // group join
  const t1 = performance.now();
  await run('kcat', ['-P', ...common, '-t', b.topic, '-K', hex(KEY_DELIM), '-D', hex(MSG_DELIM)], file);
  await cons;
  const e2eMs = performance.now() - t1;
  rmSync(dir, { recursive: true, force: true });
  rows.push({
    round,
    client: 'kcat (ceiling)',
    produce: N / (produceMs / 1000),
    consume: N / (consumeMs / 1000),
    e2e: N / (e2eMs / 1000),
    p50: NaN,
    p99: NaN,
    bytes: avgBytes,
  });
  void t0;
}

// ---------------------------------------------------------------- the default graph split in two processes

/** CPU seconds so far of the broker and the registry (their pid files in .services/), or undefined when unknown. */
function servicesCpuSeconds(): number | undefined {
  let total = 0;
  for (const pidFile of ['.services/kafka/kafka.pid', '.services/schema-registry/registry.pid']) {
    try {
      total += processCpuSeconds(Number(readFileSync(join(ROOT, pidFile), 'utf8').trim()));
    } catch {
      return undefined;
    }
  }
  return total;
}

/** Wall and CPU seconds of `alpha ARGS` (start-up included), failing with its stderr. */
function alphaSeconds(args: string[]): { wall: number; cpu: number; services: number } {
  const cpu0 = childrenCpuSeconds();
  const services0 = servicesCpuSeconds();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/alpha.mjs'), ...args], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`alpha ${args.join(' ')} → ${r.status}: ${r.stderr}`);
  const services1 = servicesCpuSeconds();
  return {
    wall: (performance.now() - t0) / 1000,
    cpu: childrenCpuSeconds() - cpu0,
    services: services0 === undefined || services1 === undefined ? Number.NaN : services1 - services0,
  };
}

/**
 * `--rounds` pairs, alternating: the one-process run, then the split run of the same graph (a single
 * pair moved by ±20% here with the host's load). Each pair's ratio, their median, and whether every
 * split run wrote the one-process run's fills.
 */
function benchSplit(): string {
  const dir = mkdtempSync(join(tmpdir(), 'split-bench-'));
  try {
    const file = 'examples/kafka-split.yaml';
    const pairs: { one: number; split: number; oneCpu: number; splitCpu: number; servicesCpu: number; same: boolean }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      console.log(`… the default graph, one process then --split${ROUNDS > 1 ? ` (round ${round + 1} of ${ROUNDS})` : ''}`);
      const out = (what: string) => join(dir, `${what}-${round}`);
      const one = alphaSeconds(['backtest', file, '--out', out('one')]);
      const split = alphaSeconds(['backtest', file, '--split', '--out', out('split')]);
      const same = readFileSync(join(out('one'), 'fills.parquet')).equals(readFileSync(join(out('split'), 'fills.parquet')));
      pairs.push({ one: one.wall, split: split.wall, oneCpu: one.cpu, splitCpu: split.cpu, servicesCpu: split.services, same });
    }
    const ratios = pairs.map((p) => p.split / p.one);
    const mid = median(ratios);
    const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)} s`;
    // CPU beside wall time: on 2 cores a split run's wall time is bounded below by its CPU over the
    // cores, and CPU seconds move less with the host's load than wall seconds.
    const cpuRatio = median(pairs.map((p) => p.splitCpu / p.oneCpu));
    const services = pairs.map((p) => p.servicesCpu);
    return (
      `split: alpha backtest ${file} --split ${range(pairs.map((p) => p.split))} vs ${range(pairs.map((p) => p.one))} in one process, ` +
      `${ratios.map((r) => `${r.toFixed(2)}×`).join(', ')} in ${pairs.length} alternating pair${pairs.length > 1 ? 's' : ''} ` +
      `(median ${mid.toFixed(2)}×; target ≤ 1.3×: ${mid <= 1.3 ? 'met' : 'missed'}); fills ${pairs.every((p) => p.same) ? 'identical' : 'DIFFER'}; ` +
      `CPU (user + system) ${range(pairs.map((p) => p.splitCpu))} vs ${range(pairs.map((p) => p.oneCpu))}, median ${cpuRatio.toFixed(2)}×` +
      (services.every(Number.isFinite) ? `, and the broker and registry ${range(services)} more during the split run` : '')
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- main

console.log(
  `Kafka edge: ${N.toLocaleString('en-US')} Quote records, ${PARTITIONS} partitions, batch ${BATCH}, ${SYMBOLS} symbols, broker ${BROKER}, registry ${REGISTRY}`,
);

// Codec alone, to separate Avro cost from client cost.
{
  const id = await register(`bench.quote.${RUN}.codec`);
  let t = performance.now();
  const msgs = encodeBatch(id, 0, N);
  const encMs = performance.now() - t;
  t = performance.now();
  let s = 0;
  for (const m of msgs) s += decode(id, m.value).seq;
  const decMs = performance.now() - t;
  const viaClient = Math.min(N, 50_000);
  t = performance.now();
  for (let i = 0; i < viaClient; i++) await registry.decode(msgs[i]!.value);
  const clientDecMs = performance.now() - t;
  const avg = msgs.reduce((x, m) => x + m.value.length, 0) / N;
  // The column codec (lib/io/kafka/avro-columns.ts) on the same quotes, in batches of --batch rows, as
  // sink.kafka and source.kafka use it; its bytes are checked against avsc's on the first batch.
  const columns = AvroColumns.of<Quote>(avroType('Quote'))!;
  const send = nowMicros();
  const batches: ColumnBatch<Quote>[] = [];
  for (let from = 0; from < N; from += BATCH) batches.push(quoteColumns(SYMBOL_NAMES, from, Math.min(BATCH, N - from), send));
  t = performance.now();
  const encoded = batches.map((b) => columns.encode(b, id)!);
  const colEncMs = performance.now() - t;
  const first = batches[0]!.toRecords().map((q) => encode(id, q));
  if (!Buffer.concat(first).equals(encoded[0]!.data)) quirks.push('codec: the column encoder wrote other bytes than avsc');
  t = performance.now();
  let rowsBack = 0;
  for (const e of encoded) {
    const starts = new Float64Array(e.lengths.length);
    for (let i = 1; i < starts.length; i++) starts[i] = starts[i - 1]! + e.lengths[i - 1]!;
    const which = new Int32Array(starts.length);
    for (let i = 0; i < which.length; i++) which[i] = i;
    rowsBack += columns.decode(e.data, starts, e.lengths, which, id, () => ({ ok: false, error: 'refused' })).batch.length;
  }
  const colDecMs = performance.now() - t;
  if (rowsBack !== N) quirks.push(`codec: the column decoder gave ${rowsBack} of ${N} rows`);
  console.log(
    `codec: encode ${fmt((N / encMs) * 1000)}/s, decode ${fmt((N / decMs) * 1000)}/s (avsc direct); columns encode ${fmt((N / colEncMs) * 1000)}/s, decode ${fmt((N / colDecMs) * 1000)}/s (avro-columns, batches of ${BATCH}); registry.decode() ${fmt((viaClient / clientDecMs) * 1000)}/s; ${avg.toFixed(1)} B/value (schema id ${id})${s < 0 ? '!' : ''}`,
  );
}

// The split's normalised edge: one CrossSection per step (the default graph's 40 symbols × 116
// features, ~39 kB), framed by SchemaCodec.encodeAll as EdgeWriter.write does, beside avsc's
// toBuffer of the same value (its bytes, unframed, checked against it).
{
  const codec = SchemaCodec.reader<CrossSection>(REGISTRY, `bench.cross.${RUN}`, 'CrossSection');
  const type = avroType('CrossSection');
  const symbols = SYMBOL_NAMES.slice(0, 40);
  const features = Array.from({ length: 116 }, (_, j) => `feature_${j}`);
  const snapshots = Array.from({ length: 500 }, (_, k) => ({
    ts_event: 1_700_000_000_000_000 + k * 900_000_000,
    ts_known: 1_700_000_000_000_000 + k * 900_000_000,
    symbols,
    features,
    values: Array.from({ length: symbols.length * features.length }, (_, i) => Math.sin(k * 7919 + i)),
    prices: symbols.map((_, i) => 100 + i),
  }));
  // Best of three rounds each, alternating (the first round of each runs before V8 has optimised it).
  let framed: Buffer[] = [];
  let bodies: Buffer[] = [];
  let framedMs = Infinity;
  let avscMs = Infinity;
  for (let round = 0; round < 3; round++) {
    let t = performance.now();
    framed = snapshots.map((c) => codec.encodeAll([c]).data);
    framedMs = Math.min(framedMs, performance.now() - t);
    t = performance.now();
    bodies = snapshots.map((c) => type.toBuffer(c));
    avscMs = Math.min(avscMs, performance.now() - t);
  }
  if (!framed.every((f, k) => f.subarray(5).equals(bodies[k]!))) quirks.push('codec: encodeAll wrote other cross-section bytes than avsc');
  console.log(
    `codec (cross-sections of ${symbols.length}×${features.length}, ${(bodies[0]!.length / 1024).toFixed(1)} kB): encodeAll ${fmt((snapshots.length / framedMs) * 1000)}/s, avsc toBuffer ${fmt((snapshots.length / avscMs) * 1000)}/s (${(framedMs / avscMs).toFixed(2)}× its time)`,
  );
}

function fmt(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–';
}

let splitLine: string | undefined;
let failed = false;
try {
  for (round = 0; round < ROUNDS; round++) {
    const of = ROUNDS > 1 ? ` (round ${round + 1} of ${ROUNDS})` : '';
    if (only('adapter')) {
      console.log(`… adapter (lib/io/kafka: librdkafka through native/kafka), both ends in this process${of}`);
      await benchAdapter();
    }
    if (only('columns')) {
      console.log(`… adapter, column batches on both ends, in this process${of}`);
      await benchAdapter(true);
    }
    if (only('adapter2')) {
      console.log(`… adapter, the writer in a process of its own${of}`);
      await benchAdapterTwoProcesses();
    }
    if (only('kcat')) {
      console.log(`… kcat${of}`);
      await benchKcat();
    }
  }
  round = 0;
  if (only('ops')) {
    console.log('… operators (sink.kafka → source.kafka, through graphs on the harness)');
    await benchOperators();
  }
  if (only('split')) {
    splitLine = benchSplit();
  }
} catch (err) {
  failed = true;
  process.stderr.write(`alpha bench:kafka: ${err instanceof Error ? err.message : String(err)}\n`);
} finally {
  // A broker gone mid-run leaves the topics: say which, in one line.
  try {
    const existing = [];
    for (const t of createdTopics) if ((await admin.partitions(t)) !== undefined) existing.push(t);
    await admin.deleteTopics(existing).catch(() => undefined);
  } catch (err) {
    failed = true;
    process.stderr.write(
      `alpha bench:kafka: the bench's topics (bench.quote.${RUN}.*) were not deleted: ${err instanceof Error ? err.message : String(err)}\n`,
    );
  }
  await admin.close().catch(() => undefined);
}
// A failed part leaves no figures to read as a result.
if (failed) process.exit(1);

/** kcat's row of the same round as `r` (each figure is read against it; the operators run in round 0). */
const kcatOf = (r: Row): Row | undefined => rows.find((k) => k.round === r.round && k.client.startsWith('kcat'));
const ratio = (x: number, y: number | undefined): string => (y && Number.isFinite(x) ? `${(x / y).toFixed(2)}×` : '–');
const table = rows.map((r) => {
  const k = kcatOf(r);
  return {
    client: ROUNDS > 1 && !r.client.startsWith('sink.kafka') ? `${r.client} #${r.round + 1}` : r.client,
    'produce rec/s': fmt(r.produce),
    'consume rec/s': fmt(r.consume),
    'e2e rec/s': fmt(r.e2e),
    'e2e p50 ms': Number.isFinite(r.p50) ? r.p50.toFixed(1) : '–',
    'e2e p99 ms': Number.isFinite(r.p99) ? r.p99.toFixed(1) : '–',
    'e2e / kcat': r === k ? '1.00×' : ratio(r.e2e, k?.e2e),
    'produce / kcat': r === k ? '1.00×' : ratio(r.produce, k?.produce),
    'consume / kcat': r === k ? '1.00×' : ratio(r.consume, k?.consume),
  };
});
if (rows.length > 0) console.table(table);

for (const client of new Set(rows.filter((r) => r.client.startsWith('adapter')).map((r) => r.client))) {
  const mine = rows.filter((r) => r.client === client);
  const e2e = mine.map((r) => r.e2e);
  const ratios = mine.flatMap((r) => {
    const k = kcatOf(r);
    return k ? [r.e2e / k.e2e] : [];
  });
  const m = ratios.length > 0 ? median(ratios) : NaN;
  console.log(
    `${client}: ${fmt(median(e2e))} rec/s through one edge end to end (median of ${mine.length}: ${e2e.map(fmt).join(', ')}); ` +
      `target ≥ 200,000 rec/s: ${median(e2e) >= 200_000 ? 'met' : 'missed'}; ` +
      (ratios.length > 0
        ? `against kcat in the same round ${ratios.map((x) => `${x.toFixed(2)}×`).join(', ')} (median ${m.toFixed(2)}×); ≥ ½ kcat: ${m >= 0.5 ? 'met' : 'missed'}`
        : '≥ ½ kcat: unmeasured'),
  );
}
const opsRow = rows.find((r) => r.client.startsWith('sink.kafka'));
if (opsRow) {
  console.log(
    `operators: sink.kafka ${fmt(opsRow.produce)} rec/s (${ratio(opsRow.produce, kcatOf(opsRow)?.produce)} kcat), source.kafka ${fmt(opsRow.consume)} rec/s (${ratio(opsRow.consume, kcatOf(opsRow)?.consume)} kcat); ` +
      `one after the other ${fmt(1 / (1 / opsRow.produce + 1 / opsRow.consume))} rec/s`,
  );
}
if (splitLine) console.log(splitLine);
for (const q of quirks) console.log(`note: ${q}`);
process.exit(0);
