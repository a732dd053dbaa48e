import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeReader } from '../../lib/io/kafka/edge-reader.ts';
import { EdgeWriter } from '../../lib/io/kafka/edge-writer.ts';
import { SerialProducer } from '../../lib/io/kafka/producer.ts';
import type { Quote } from '../../schemas/types.generated.ts';
import { dropTopics, testSettings, withAdmin } from '../helpers/kafka.ts';
import { quote as quoteAt } from '../helpers/records.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const s = testSettings();
const name = `taptest_${process.pid}_${process.hrtime.bigint().toString(36)}`;
const topic = `${name}.quotes`;
// Of a run (`--run r1`) whose trades edge carried records and no dead letter.
const cleanRun = `${name}.trades.r1`;
const dir = mkdtempSync(join(tmpdir(), 'tap-'));
const file = join(dir, 'topology.yaml');

const REPEATED: [string, string][] = [
  ['h', '1'],
  ['__proto__', 'p'],
  ['h', '2'],
];

const quote = (i: number): Quote =>
  quoteAt(`S${i % 3}`, 1_700_000_000_000_000 + i, 10 + i, 10.5 + i, i, { ts_known: 1_700_000_000_000_001 + i, ask_size: 200 });

function alpha(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/alpha.mjs'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, KAFKA_BROKERS: s.brokers.join(','), SCHEMA_REGISTRY_URL: s.registryUrl },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  writeFileSync(
    file,
    `name: ${name}\nseed: 1\nnodes:\n  - name: quotes\n    type: source.replay\n  - name: trades\n    type: source.replay\n    params: { dataset: trades, schema: Trade }\n  - name: bars\n    type: feature.bars\n    inputs: { quotes: quotes, trades: trades }\n`,
  );
  const w = await EdgeWriter.open(s, { topic, schema: 'Quote', partitions: 1 });
  await w.write([0, 1, 2, 3, 4].map((i) => ({ key: quote(i).symbol, value: quote(i) })));
  await w.writeControl({ watermark: 1_700_000_000_000_010 });
  const raw = new SerialProducer(s, 'tap-test');
  // Its own headers use the dead-letter writer's names: the tap must not take them for the letter's.
  await raw.send([
    {
      topic,
      partition: 0,
      key: Buffer.from('junk'),
      value: Buffer.from('junk!'),
      headers: { 'alpha.dlq.value.bytes': '999', 'alpha.dlq.omitted': 'value (999 bytes): forged' },
    },
    // A name repeated, and one an object would take for its prototype.
    {
      topic,
      partition: 0,
      key: Buffer.from('S2'),
      value: w.codec.encode(quote(5)),
      headers: REPEATED,
    },
  ]);
  await raw.close();
  await w.close();
});
/** Waits up to 30 s for `done`, polling; fails with `seen()` when it never comes. */
async function until(done: () => boolean, seen: () => string): Promise<void> {
  for (const started = Date.now(); !done(); ) {
    if (Date.now() - started > 30_000) throw new Error(`timed out; saw:\n${seen()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

afterAll(async () => {
  await dropTopics(s, [topic, cleanRun]);
  rmSync(dir, { recursive: true, force: true });
});

describe('alpha tap (real broker)', () => {
  it('prints every record as JSON lines and exits at the end of the topic', () => {
    const r = alpha(['tap', 'quotes', '--topology', file, '--from-beginning', '--format', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { offset: string; key: string; value?: Quote; error?: string; headers?: [string, string][] });
    expect(lines.slice(0, 5).map((l) => l.value)).toEqual([0, 1, 2, 3, 4].map(quote));
    expect(lines.slice(0, 5).map((l) => l.key)).toEqual(['S0', 'S1', 'S2', 'S0', 'S1']);
    // the watermark (offset 5) is not printed; the undecodable record shows its error
    expect(lines).toHaveLength(7);
    expect(lines[5]).toMatchObject({ offset: '6', error: expect.stringMatching(/magic byte/) });
    // headers as [name, value] pairs in order, as --dlq prints them: none lost to a repeat or to __proto__
    expect(lines[0]).toMatchObject({ headers: [] });
    expect(lines[6]).toMatchObject({ offset: '7', value: quote(5), headers: REPEATED });
  });

  it('prints a table with the schema fields, control records included, and honours --max', () => {
    const r = alpha(['tap', 'quotes', '--topology', file, '--from-beginning', '--format', 'table']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual([
      'partition',
      'offset',
      'key',
      'ts_event',
      'ts_known',
      'symbol',
      'seq',
      'id',
      'version',
      'bid',
      'ask',
      'bid_size',
      'ask_size',
    ]);
    expect(lines[1]!.split(/\s+/)).toEqual([
      '0',
      '0',
      'S0',
      '2023-11-14T22:13:20.000000Z',
      '2023-11-14T22:13:20.000001Z',
      'S0',
      '0',
      '0',
      '1',
      '10',
      '10.5',
      '100',
      '200',
    ]);
    expect(lines[6]).toMatch(/-- partition 0 offset 5: watermark 1700000000000010/);
    expect(lines[7]).toMatch(/offset 6: cannot decode/);
    const max = alpha(['tap', 'quotes', '--topology', file, '--from-beginning', '--format', 'json', '--max', '2']);
    expect(max.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('--dlq shows the dead letters with their error and source', async () => {
    const r = await EdgeReader.open(s, { topic, schema: 'Quote', groupId: `${topic}.g`, fromBeginning: true });
    while (r.deadLettered === 0) await r.next();
    await r.close();
    const json = alpha(['tap', 'quotes', '--topology', file, '--dlq', '--from-beginning', '--format', 'json']);
    expect(json.status, json.stderr).toBe(0);
    const [letter] = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(letter).toMatchObject({
      key: 'junk',
      source: { topic, partition: '0', offset: '6' },
      value_base64: Buffer.from('junk!').toString('base64'),
    });
    expect(letter!['error']).toMatch(/magic byte is 106/);
    // The headers as pairs in order: the writer's follow the original's.
    expect((letter!['headers'] as [string, string][]).map(([n]) => n).slice(-4)).toEqual([
      'alpha.dlq.error',
      'alpha.dlq.topic',
      'alpha.dlq.partition',
      'alpha.dlq.offset',
    ]);
    const table = alpha(['tap', 'quotes', '--topology', file, '--dlq', '--from-beginning']);
    expect(table.stdout).toMatch(/^offset\s+source\s+bytes\s+error\n0\s+\S+\[0\]@6\s+5\s+magic byte is 106/);
    expect(table.stdout).not.toMatch(/not copied|999/);
  });

  it('says so when there is nothing to show, and names an unknown node', () => {
    const atEnd = alpha(['tap', 'quotes', '--topology', file]);
    expect(atEnd.status).toBe(0);
    expect(atEnd.stdout).toBe('');
    expect(atEnd.stderr).toMatch(/--from-beginning shows what is there/);
    const unknown = alpha(['tap', 'nope', '--topology', file]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no node "nope" \(nodes: quotes, trades, bars\)/);
    const noTopic = alpha(['tap', 'bars', '--topology', file, '--from-beginning']);
    expect(noTopic.status).toBe(1);
    expect(noTopic.stderr).toMatch(new RegExp(`topic "${name}.bars" \\(node "bars"\\) does not exist`));
  });

  it('--dlq of a run that wrote no dead letters says so, as an empty topic (exit 0), not that the run published nothing', async () => {
    await withAdmin(s, (admin) => admin.ensureTopic(cleanRun, 1));
    const none = alpha(['tap', 'trades', '--topology', file, '--run', 'r1', '--dlq', '--from-beginning']);
    expect(none.stderr).toBe(
      `${cleanRun}.dlq: no dead letters: run "r1" wrote none on the edge of node "trades" (${cleanRun} exists; its .dlq is made with the first letter)\n`,
    );
    expect(none.status).toBe(0);
    expect(none.stdout).toBe('');
    // --follow waits for the .dlq, made with the run's first letter, and shows it (it exited at once).
    const follower = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/alpha.mjs'),
        'tap',
        'trades',
        '--topology',
        file,
        '--run',
        'r1',
        '--dlq',
        '--follow',
        '--from-beginning',
        '--format',
        'json',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, KAFKA_BROKERS: s.brokers.join(','), SCHEMA_REGISTRY_URL: s.registryUrl },
      },
    );
    try {
      let stdout = '';
      let stderr = '';
      follower.stdout.on('data', (d: Buffer) => void (stdout += d.toString('utf8')));
      follower.stderr.on('data', (d: Buffer) => void (stderr += d.toString('utf8')));
      await until(
        () => stderr.includes('waiting for the first (--follow)'),
        () => stderr,
      );
      const raw = new SerialProducer(s, 'tap-test-dlq');
      await raw.send([
        {
          topic: `${cleanRun}.dlq`,
          partition: 0,
          key: Buffer.from('late'),
          value: Buffer.from('x'),
          headers: [['alpha.dlq.error', 'late letter']],
        },
      ]);
      await raw.close();
      await until(
        () => stdout.includes('late letter'),
        () => `${stdout}\n${stderr}`,
      );
      expect(JSON.parse(stdout.trim().split('\n')[0]!)).toMatchObject({ key: 'late', error: 'late letter' });
    } finally {
      follower.kill('SIGTERM');
    }
    // A run that published nothing on the edge is still refused as such.
    const never = alpha(['tap', 'trades', '--topology', file, '--run', 'r2', '--dlq', '--from-beginning']);
    expect(never.status).toBe(1);
    expect(never.stderr).toMatch(/^alpha: topic ".*\.trades\.r2\.dlq" \(node "trades"\) does not exist on .*: no run "r2" published/);
  });
});
