/**
 * A backtest reading Kafka stopped by Ctrl-C (SIGINT) or SIGTERM: its consumer leaves the group
 * before the process ends by the signal, so the next run in the group neither waits for the broker to
 * drop a dead member (its 30 s session timeout) nor is refused a reset of the group. It commits
 * nothing (the run wrote nothing), prints no error of its own, and ends by the signal. The group is
 * read with kafkajs, another client.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EdgeWriter } from '../../lib/io/kafka/edge-writer.ts';
import type { Quote } from '../../schemas/types.generated.ts';
import { startAlpha } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';
import { kafkaTestFile } from '../helpers/kafka.ts';
import { quote, T0 } from '../helpers/records.ts';

const { s, topic } = kafkaTestFile();
const brokers = inject('KAFKA_BROKERS');
const registry = inject('SCHEMA_REGISTRY_URL');
const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
beforeAll(() => admin.connect());
afterAll(() => admin.disconnect());

describe.each(['SIGINT', 'SIGTERM'] as const)('a backtest reading Kafka, ended by %s', (signal) => {
  it('leaves its consumer group before it ends, commits nothing and says nothing', async () => {
    const data = await dataset({ symbols: 2, days: 1, seed: 5 });
    const t = topic(`interrupted-${signal}`);
    const rows: Quote[] = Array.from({ length: 20 }, (_, i) => quote('SYM000', T0 + i * 1000, 10, 10.5, i + 1));
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 1 });
    await w.write(rows.map((q) => ({ key: q.symbol, value: q })));
    await w.close();
    const group = `g-interrupted-${signal}-${process.pid}`;
    const dir = tempDir('interrupted-run');
    const file = join(dir, 'in.yaml');
    // No until_offsets: it reads on, waiting for more, until it is stopped.
    writeFileSync(
      file,
      `name: interrupted
nodes:
  - { name: kafka, type: source.kafka, params: { topic: ${t}, schema: Quote, group: ${group}, start: earliest, brokers: '${brokers}', registry: '${registry}' } }
  - { name: save, type: sink.parquet, inputs: kafka, params: { file: quotes.parquet } }
`,
    );
    const run = startAlpha(['backtest', file, '--data', data, '--out', join(dir, 'out')]);
    // Wait until it is a member of the group.
    const joinedBy = Date.now() + 30_000;
    for (;;) {
      const { groups } = await admin.describeGroups([group]);
      if (groups[0]!.members.length > 0) break;
      expect(Date.now(), run.output.stderr).toBeLessThan(joinedBy);
      await new Promise((r) => setTimeout(r, 200));
    }
    const stopped = Date.now();
    run.child.kill(signal);
    const ended = await run.exited;
    expect(Date.now() - stopped).toBeLessThan(5_000);
    expect(run.child.signalCode).toBe(signal);
    expect(ended.stderr).not.toMatch(/^alpha: /m);
    // No member left behind, and nothing committed.
    const { groups } = await admin.describeGroups([group]);
    expect(groups[0]!.members).toEqual([]);
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [t] });
    expect(offsets!.partitions.map((p) => Number(p.offset))).toEqual([-1]);
  }, 60_000);
});
