/**
 * Faults during `alpha backtest --split`: a group's process or the broker killed with SIGKILL in the
 * middle of the run. The supervisor starts the process again (once the broker answers); the new
 * process replays the run from the start and its repeated records are dropped downstream by their
 * step keys. The fills must be those of the uninterrupted one-process run: none lost, none twice.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicAdmin } from '../../lib/io/kafka/admin.ts';
import { kafkaSettings } from '../../lib/io/kafka/settings.ts';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';
import { privateBroker, type PrivateBroker } from '../helpers/private-broker.ts';

const root = join(import.meta.dirname, '../..');
const alpha = join(root, 'bin/alpha.mjs');
const split = 'examples/kafka-split.yaml';
const sets = ['sizing.min_history=10'];
let data: string;
let reference: Buffer;

beforeAll(async () => {
  data = await dataset({ symbols: 10, days: 6, seed: 13 });
  const whole = tempDir('whole');
  await runBacktest({ topologyFile: split, dataDir: data, outDir: whole, sets });
  reference = readFileSync(join(whole, 'fills.parquet'));
});

/** Starts a split run; resolves its run id (from the launcher's first line), then its exit and stderr. */
function startSplit(out: string, env = process.env): { runId: Promise<string>; done: Promise<{ code: number; stderr: string }> } {
  const child = spawn(
    process.execPath,
    [alpha, 'backtest', split, '--split', '--data', data, '--out', out, ...sets.flatMap((s) => ['--set', s])],
    { stdio: ['ignore', 'ignore', 'pipe'], env },
  );
  let stderr = '';
  let found: (id: string) => void;
  const runId = new Promise<string>((resolve) => (found = resolve));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    const m = /\[split\] run (\S+):/.exec(stderr);
    if (m) found(m[1]!);
  });
  const done = new Promise<{ code: number; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? 1, stderr })),
  );
  return { runId, done };
}

/** Waits until the run's snapshot topic holds at least `n` records: the run is well under way. */
async function underWay(runId: string, n: number, env = process.env): Promise<void> {
  const admin = await TopicAdmin.connect(kafkaSettings(env));
  try {
    for (;;) {
      const offsets = await admin.offsets(`kafka-split.normalised.${runId}`).catch(() => []);
      if (offsets.reduce((a, o) => a + o.high, 0) >= n) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.close();
  }
}

function killGroup(runId: string, group: string): void {
  const pids = spawnSync('pgrep', ['-f', '--', `--group ${group} --replica 0 --attempt 0 --run-id ${runId}`], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .filter(Boolean);
  expect(pids.length, `the ${group} process of run ${runId}`).toBe(1);
  process.kill(Number(pids[0]), 'SIGKILL');
}

describe('faults during a split run', () => {
  it.each(['features', 'trading'])('SIGKILL of the %s process: restarted, no fill lost or doubled', async (group) => {
    const out = tempDir(`kill-${group}`);
    const run = startSplit(out);
    const runId = await run.runId;
    await underWay(runId, 100);
    killGroup(runId, group);
    const { code, stderr } = await run.done;
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`[${group}] process killed by SIGKILL (exit 137): starting it again`);
    expect(readFileSync(join(out, 'fills.parquet')).equals(reference)).toBe(true);
    if (group === 'features') {
      // The restarted producer sent its records again; the consumer recognised and dropped them.
      const trading = JSON.parse(readFileSync(join(out, 'groups', 'trading', 'summary.json'), 'utf8')) as {
        edges_in: { duplicates_dropped: number };
      };
      expect(trading.edges_in.duplicates_dropped).toBeGreaterThan(0);
    }
  });

  describe('the broker', () => {
    // The test's own broker: killing the shared one would break the test files running beside it.
    let broker: PrivateBroker;
    beforeAll(async () => {
      broker = await privateBroker();
    });
    afterAll(() => broker?.stop());

    it('SIGKILL of the broker, then a restart: the run completes with the same fills', async () => {
      const out = tempDir('kill-broker');
      const run = startSplit(out, broker.env);
      const runId = await run.runId;
      await underWay(runId, 100, broker.env);
      broker.kill();
      await new Promise((r) => setTimeout(r, 2000));
      broker.start();
      const { code, stderr } = await run.done;
      expect(code, stderr).toBe(0);
      expect(readFileSync(join(out, 'fills.parquet')).equals(reference), stderr).toBe(true);
    });

    it('SIGKILL of the broker for good: the run ends, naming the broker, once a send and the wait for it have given up', async () => {
      const out = tempDir('broker-gone');
      const giveUp = 5;
      const run = startSplit(out, { ...broker.env, ALPHA_KAFKA_GIVE_UP_SECONDS: String(giveUp) });
      const runId = await run.runId;
      await underWay(runId, 100, broker.env);
      broker.kill();
      const killed = Date.now();
      const { code, stderr } = await run.done;
      const seconds = (Date.now() - killed) / 1000;
      expect(code).toBe(1);
      expect(stderr).toMatch(/^alpha: group "\w+" failed: its process exited with 1: /m);
      expect(stderr).toMatch(
        new RegExp(`the Kafka broker \\(127\\.0\\.0\\.1:\\d+\\) did not answer within ${giveUp} s: not started again`),
      );
      expect(stderr).not.toMatch(/\n\s+at /);
      // A send gives up after `giveUp` s, the launcher waits as long for the broker: with start-up and
      // the stop of the other group, well under a minute (librdkafka's own default alone is five).
      expect(seconds).toBeLessThan(60);
    }, 120_000);
  });

  it('refuses an ALPHA_KAFKA_GIVE_UP_SECONDS that is not whole seconds from 5 to 600, before any process starts', async () => {
    for (const bad of ['0', 'soon', '601']) {
      const { code, stderr } = await startSplit(tempDir(`give-up-${bad}`), { ...process.env, ALPHA_KAFKA_GIVE_UP_SECONDS: bad }).done;
      expect(code).toBe(1);
      expect(stderr).toMatch(new RegExp(`^alpha: ALPHA_KAFKA_GIVE_UP_SECONDS="${bad}": expected whole seconds from 5 to 600`, 'm'));
      expect(stderr).not.toMatch(/\[split\] run /);
    }
  });
});
