/**
 * The writing end of bench/kafka.ts's two-process edge (`--only adapter2`): opens an EdgeWriter on
 * the topic, says `ready` on stdout, waits for a line on stdin, writes the quotes in batches as sink.kafka does, closes
 * (every record acknowledged) and prints `{"produceMs": …}`. Internal to the bench.
 *
 *   node --import tsx bench/kafka-edge-writer.ts TOPIC RECORDS BATCH PARTITIONS SYMBOLS
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { EdgeWriter } from '../lib/io/kafka/edge-writer.ts';
import { kafkaGiveUpMs, kafkaSettings } from '../lib/io/kafka/settings.ts';
import { plainWhole } from './flags.ts';
import { symbolNames, writeQuotes } from './kafka-quotes.ts';

const [topic, ...numbers] = process.argv.slice(2);
const [n, batch, partitions, symbols] = numbers.map(plainWhole);
if (
  !topic ||
  !/^[A-Za-z0-9._-]{1,249}$/.test(topic) ||
  numbers.length !== 4 ||
  [n, batch, partitions, symbols].some((x) => !Number.isSafeInteger(x) || x! <= 0)
) {
  process.stderr.write(
    `alpha bench kafka-edge-writer: arguments '${process.argv.slice(2).join(' ')}': expected TOPIC (Kafka's letters, digits, '.', '_', '-') RECORDS BATCH PARTITIONS SYMBOLS (positive integers)\n`,
  );
  process.exit(2);
}
const fail = (err: unknown): never => {
  process.stderr.write(`alpha bench kafka-edge-writer: ${topic}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
};
const names = symbolNames(symbols!);
const writer = await EdgeWriter.open(
  { ...kafkaSettings(), clientId: 'bench-adapter-writer' },
  // As a split run's edges: a send the broker does not take within the give-up time fails the run.
  { topic, schema: 'Quote', partitions: partitions!, producer: { 'message.timeout.ms': String(kafkaGiveUpMs()) } },
).catch(fail);
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
// The bench gone before its go (stdin closed): nothing to write for.
const go = await new Promise<boolean>((resolve) => {
  lines.once('line', () => resolve(true));
  lines.once('close', () => resolve(false));
});
lines.close();
if (!go) {
  await writer.close();
  process.stderr.write('alpha bench kafka-edge-writer: stdin closed before the go: nothing written\n');
  process.exit(2);
}
const t0 = performance.now();
await writeQuotes(writer, names, n!, batch!).catch(fail);
await writer.close().catch(fail);
process.stdout.write(`${JSON.stringify({ produceMs: performance.now() - t0 })}\n`);
