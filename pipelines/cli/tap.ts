/**
 * `alpha tap NODE`: prints the records of a node's Kafka topic, decoded with the node's output
 * schema, without joining the graph's consumer groups or committing anything (a throwaway group,
 * deleted on exit), so tapping never changes a run. `--dlq` reads the edge's dead letters instead.
 */
import { AlphaError } from '../../lib/core/errors.ts';
import { resolveTopology } from '../runtime/backtest.ts';
import { topicOf } from '../topology/transport.ts';
import { runTopic } from '../runtime/group/connect.ts';
import { TopicAdmin } from '../../lib/io/kafka/admin.ts';
import { PullConsumer } from '../../lib/io/kafka/consumer.ts';
import type { RawRecord } from '../../lib/io/kafka/consumer.ts';
import { recordsOf } from '../../native/kafka/index.ts';
import { parseControl } from '../../lib/io/kafka/control.ts';
import {
  DLQ_ERROR,
  DLQ_OFFSET,
  DLQ_OMITTED,
  DLQ_PARTITION,
  DLQ_TOPIC,
  DLQ_VALUE_BYTES,
  dlqTopicOf,
} from '../../lib/io/kafka/dead-letters.ts';
import { SchemaCodec } from '../../lib/io/kafka/schema-codec.ts';
import { kafkaSettings } from '../../lib/io/kafka/settings.ts';
import { avroSchema } from '../../schemas/avro.ts';
import type { SchemaName } from '../../schemas/types.generated.ts';

/** How long one poll waits for records before the tap checks whether it has reached the end. */
const POLL_MS = 200;

export interface TapOptions {
  topology: string;
  run?: string;
  fromBeginning?: boolean;
  follow?: boolean;
  format: 'json' | 'table';
  max?: number;
  dlq?: boolean;
}

/** How often `--dlq --follow` asks whether the edge's .dlq exists yet. */
const DLQ_POLL_MS = 500;

/** Prints the records of the node's Kafka topic up to its end (or on, with --follow). */
export async function tap(node: string, opts: TapOptions): Promise<void> {
  const topology = resolveTopology(opts.topology);
  const resolved = topology.nodes.find((n) => n.name === node);
  if (!resolved) throw new AlphaError(`${opts.topology}: no node "${node}" (nodes: ${topology.nodes.map((n) => n.name).join(', ')})`);
  const schema = resolved.output as SchemaName;
  const edge = opts.run === undefined ? topicOf(topology, node) : runTopic(topology, node, opts.run);
  const topic = opts.dlq ? dlqTopicOf(edge) : edge;
  const s = kafkaSettings();
  const out = opts.dlq ? dlqPrinter(opts.format) : recordPrinter(schema, opts.format);
  const codec = SchemaCodec.reader<Record<string, unknown>>(s.registryUrl, topic, schema);

  const admin = await TopicAdmin.connect(s);
  const group = `alpha-tap.${topic}.${process.pid}.${process.hrtime.bigint().toString(36)}`;
  let consumer: PullConsumer | undefined;
  try {
    let partitions = await admin.partitions(topic);
    // A .dlq is made with the edge's first dead letter: none beside an edge that exists means none were
    // written, nothing to show, as for an empty topic; with --follow, the tap waits for the first.
    if (partitions === undefined && opts.dlq && (await admin.partitions(edge)) !== undefined) {
      const who = opts.run === undefined ? 'none was written' : `run "${opts.run}" wrote none`;
      const why = `on the edge of node "${node}" (${edge} exists; its .dlq is made with the first letter)`;
      if (!opts.follow) {
        process.stderr.write(`${topic}: no dead letters: ${who} ${why}\n`);
        return;
      }
      process.stderr.write(`${topic}: no dead letters yet: ${who} so far ${why}; waiting for the first (--follow)\n`);
      while (partitions === undefined) {
        await new Promise((resolve) => setTimeout(resolve, DLQ_POLL_MS));
        partitions = await admin.partitions(topic);
      }
    }
    if (partitions === undefined)
      throw new AlphaError(
        `topic "${topic}" (node "${node}") does not exist on ${s.brokers.join(',')}: ${opts.run === undefined ? 'nothing has written this edge yet' : `no run "${opts.run}" published or mirrored this node (a Kafka edge between groups, or a node under taps:)`}`,
      );
    // Without --follow: read up to the end offsets as they are now.
    const remaining = new Map<number, number>();
    if (!opts.follow) {
      for (const o of await admin.offsets(topic)) if (opts.fromBeginning && o.high > o.low) remaining.set(o.partition, o.high);
      if (remaining.size === 0) {
        process.stderr.write(
          `${topic}: no records to show${opts.fromBeginning ? ' (empty)' : ' (--from-beginning shows what is there, --follow waits for new ones)'}\n`,
        );
        return;
      }
    }
    consumer = await PullConsumer.open(s, { topic, groupId: group, fromBeginning: opts.fromBeginning ?? false, partitions });
    let printed = 0;
    while (opts.follow || remaining.size > 0) {
      for (const r of recordsOf(await consumer.poll(POLL_MS))) {
        if (!opts.follow) {
          const end = remaining.get(r.partition);
          if (end === undefined || r.offset >= end) continue;
          if (r.offset >= end - 1) remaining.delete(r.partition);
        }
        if (await out(topic, r, codec)) printed++;
        if (opts.max !== undefined && printed >= opts.max) return;
      }
      // A transaction's commit or abort marker can be a partition's last offset: no record has it,
      // but the consumer reads past it.
      for (const [p, through] of consumer.consumedThrough())
        if (through >= (remaining.get(p) ?? Number.POSITIVE_INFINITY)) remaining.delete(p);
    }
  } finally {
    await consumer?.close();
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.close();
  }
}

type Printer = (topic: string, r: RawRecord, codec: SchemaCodec<Record<string, unknown>>) => Promise<boolean>;

const dim = (text: string): string => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[22m` : text);
const headersText = (h: Record<string, Buffer>): Record<string, string> =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v.toString('utf8')]));
/** Headers as JSON shows them: [name, value] pairs in the record's order, so repeated names show as they are. */
const headerPairs = (list: RawRecord['headerList']): [string, string][] => list.map(([n, v]) => [n, v.toString('utf8')]);

/** Decoded records: JSON lines (headers as pairs, as for dead letters), or a table with one column per top-level field. */
function recordPrinter(schema: SchemaName, format: 'json' | 'table'): Printer {
  const fields = avroSchema(schema).fields;
  const micros = new Set(
    fields.filter((f) => typeof f.type === 'object' && !Array.isArray(f.type) && 'logicalType' in f.type).map((f) => f.name),
  );
  const columns = ['partition', 'offset', 'key', ...fields.map((f) => f.name)];
  let widths: number[] | undefined;
  const row = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths![i]!))
      .join('  ')
      .trimEnd();
  return async (topic, r, codec) => {
    if (r.value === null) {
      const control = parseControl(headersText(r.headers));
      if (format === 'table') {
        const what = control?.end
          ? 'end of stream'
          : control?.watermark !== undefined
            ? `watermark ${control.watermark} (${isoMicros(control.watermark)})`
            : 'null value';
        process.stdout.write(`${dim(`-- partition ${r.partition} offset ${r.offset}: ${what}`)}\n`);
      }
      return false;
    }
    const decoded = await codec.decode(r.value);
    if (!decoded.ok) {
      const line = { topic, partition: r.partition, offset: String(r.offset), error: decoded.error };
      process.stdout.write(
        format === 'json'
          ? `${JSON.stringify(line)}\n`
          : `${dim(`-- partition ${r.partition} offset ${r.offset}: cannot decode: ${decoded.error}`)}\n`,
      );
      return true;
    }
    const key = r.key?.toString('utf8') ?? null;
    if (format === 'json') {
      process.stdout.write(
        `${JSON.stringify({ topic, partition: r.partition, offset: String(r.offset), key, headers: headerPairs(r.headerList), value: decoded.value })}\n`,
      );
      return true;
    }
    const cells = [
      String(r.partition),
      String(r.offset),
      key ?? '',
      ...fields.map((f) => {
        const v = decoded.value[f.name];
        if (micros.has(f.name) && typeof v === 'number') return isoMicros(v);
        return typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
      }),
    ];
    if (!widths) {
      widths = columns.map((c, i) => Math.max(c.length, cells[i]!.length));
      process.stdout.write(`${row(columns)}\n`);
    }
    process.stdout.write(`${row(cells)}\n`);
    return true;
  };
}

/**
 * The headers the dead-letter writer added, by name: those from the last `alpha.dlq.error` on. The
 * original record's headers come before them, and may carry the same names: they do not describe the
 * letter.
 */
function letterHeaders(list: RawRecord['headerList']): Record<string, string> {
  let from = list.length;
  for (let i = list.length - 1; i >= 0; i--)
    if (list[i]![0] === DLQ_ERROR) {
      from = i;
      break;
    }
  const out: Record<string, string> = Object.create(null);
  for (const [name, value] of list.slice(from)) out[name] = value.toString('utf8');
  return out;
}

/**
 * Dead letters: why, from where, and the original bytes. As JSON, the headers are [name, value]
 * pairs in order, the original's then the writer's, so repeated names show as they are.
 */
function dlqPrinter(format: 'json' | 'table'): Printer {
  let header = false;
  return async (topic, r) => {
    const h = letterHeaders(r.headerList);
    const source = { topic: h[DLQ_TOPIC] ?? '?', partition: h[DLQ_PARTITION] ?? '?', offset: h[DLQ_OFFSET] ?? '?' };
    const error = h[DLQ_ERROR] ?? '(no error header)';
    if (format === 'json') {
      process.stdout.write(
        `${JSON.stringify({ topic, partition: r.partition, offset: String(r.offset), error, source, key: r.key?.toString('utf8') ?? null, headers: headerPairs(r.headerList), value_base64: r.value?.toString('base64') ?? null })}\n`,
      );
      return true;
    }
    if (!header) {
      process.stdout.write('offset  source                    bytes  error\n');
      header = true;
    }
    const src = `${source.topic.length > 18 ? `…${source.topic.slice(-17)}` : source.topic}[${source.partition}]@${source.offset}`;
    // A letter written without its value (over the .dlq topic's limit) gives the value's size and says so.
    const bytes = h[DLQ_VALUE_BYTES] ?? String(r.value?.length ?? 0);
    const omitted = h[DLQ_OMITTED] === undefined ? '' : ` [not copied: ${h[DLQ_OMITTED]!.split(':')[0]}]`;
    process.stdout.write(`${String(r.offset).padEnd(6)}  ${src.padEnd(24)}  ${bytes.padStart(5)}  ${error}${omitted}\n`);
    return true;
  };
}

function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, 23)}${String(us - ms * 1000).padStart(3, '0')}Z`;
}
