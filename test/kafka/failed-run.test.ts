/**
 * source.kafka in a run whose outputs are written at its end (a backtest, `alpha run`, the harness's
 * runGraph) that fails: it commits nothing (a rerun in the group reads every record again, none is
 * skipped), and its consumer leaves the group at once (the next run neither waits for the broker to
 * drop a dead member nor is refused). What the group holds is read with kafkajs, another client.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EdgeWriter } from '../../lib/io/kafka/edge-writer.ts';
import type { Quote } from '../../schemas/types.generated.ts';
import { kafkaTestFile } from '../helpers/kafka.ts';
import { runInMemory } from '../helpers/memory-graph.ts';
import { quote, T0 } from '../helpers/records.ts';

const { s, topic } = kafkaTestFile();
const brokers = inject('KAFKA_BROKERS');
const registry = inject('SCHEMA_REGISTRY_URL');
const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
beforeAll(() => admin.connect());
afterAll(() => admin.disconnect());

const SYMBOLS = ['AAA', 'BBB', 'CCC', 'DDD'];
const universe = SYMBOLS.map((symbol) => ({ symbol, sector: 'X' }));
const rows: Quote[] = Array.from({ length: 40 }, (_, i) => quote(SYMBOLS[i % 4]!, T0 + i * 1000, 10 + i / 100, 10.5 + i / 100, i + 1));
/** ts_known of the failing source's one quote: 2096, after every receive stamp of this run. */
const LATE = 4e15;

const yaml = (t: string, group: string, failing: boolean) => `name: in
nodes:
  - { name: kafka, type: source.kafka, params: { topic: ${t}, schema: Quote, group: ${group}, until_offsets: end, brokers: '${brokers}', registry: '${registry}' } }
${failing ? `  - { name: boom, type: test.fail-at, params: { at: ${LATE} } }\n` : ''}  - { name: probe, type: test.probe, inputs: kafka }
`;

/** Per partition, the group's committed offset as kafkajs reads it (-1: none). */
async function committed(group: string, t: string): Promise<number[]> {
  const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [t] });
  return offsets!.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
}

describe('source.kafka in a run that fails', () => {
  it('commits nothing and leaves its group: a rerun in the group reads every record, at once', async () => {
    const t = topic('failed-run');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 2 });
    await w.write(rows.map((q) => ({ key: q.symbol, value: q })));
    await w.close();
    const group = `g-failed-${process.pid}`;

    // The source reads the whole topic (its receive stamps come before LATE), then the run fails.
    await expect(runInMemory(yaml(t, group, true), { universe })).rejects.toThrow(/test\.fail-at: failing the run/);
    // No member left behind (the broker would hold a dead one for its 30 s session timeout).
    const { groups } = await admin.describeGroups([group]);
    expect(groups[0]!.members).toEqual([]);
    // Nothing committed: the run wrote nothing.
    expect(await committed(group, t)).toEqual([-1, -1]);

    // The rerun, start: committed (the default), gets all 40 and commits through the topic's end.
    const started = Date.now();
    const run = await runInMemory(yaml(t, group, false), { universe });
    expect(Date.now() - started).toBeLessThan(15_000);
    const got = (run.probes.get('probe')?.records ?? []) as Quote[];
    expect(got.map((q) => q.id).sort((a, b) => a - b)).toEqual(rows.map((q) => q.id));
    const ends = (await admin.fetchTopicOffsets(t)).sort((a, b) => a.partition - b.partition).map((o) => Number(o.high));
    expect(ends.reduce((a, b) => a + b, 0)).toBe(40);
    expect(await committed(group, t)).toEqual(ends);
  }, 60_000);
});
