/**
 * `alpha model train` end to end: the topology's features over a window of generated data, written
 * by the graph, trained on by research/model/train.py (the project's Python environment), exported to
 * ONNX and served back in a backtest; and the runner's refusal to let that model score its own window.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { resolveTopology } from '../../pipelines/runtime/backtest.ts';
import { resolveFeatures } from '../../pipelines/topology/features.ts';
import { ModelCardError } from '../../lib/model/model-card.ts';
import { parquetBytes, readParquetFile } from '../../lib/io/parquet.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

const alpha = join(import.meta.dirname, '../../bin/alpha.mjs');
const days = { from: '2024-01-02', to: '2024-01-05' };
let data: string;
let model: string;
let work: string;
let card: {
  feature_names: string[];
  ts_known_cutoff: string;
  training_window: { from: string; to: string };
  files: Record<string, { sha256: string }>;
};

beforeAll(async () => {
  data = await dataset({ symbols: 12, days: 6, seed: 5 });
  model = join(tempDir('model'), 'small');
  work = tempDir('train-work');
  execFileSync(
    process.execPath,
    [
      alpha,
      'model',
      'train',
      '--data',
      data,
      '--from',
      days.from,
      '--to',
      days.to,
      '--out',
      model,
      '--work',
      work,
      '--bottleneck',
      '8',
      '--quiet',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  card = JSON.parse(readFileSync(join(model, 'card.json'), 'utf8')) as typeof card;
});

describe('alpha model train', () => {
  it("writes the topology's model input edge wide: ts_event, ts_known, symbol, price, then every feature", async () => {
    const file = Uint8Array.from(readFileSync(join(work, 'features.parquet'))).buffer;
    const columns = parquetMetadata(file)
      .schema.slice(1)
      .map((e) => e.name);
    const features = resolveFeatures(resolveTopology('topology.yaml').nodes).get('normalised')!;
    expect(columns).toEqual(['ts_event', 'ts_known', 'symbol', 'price', ...features]);
    const rows = (await parquetReadObjects({
      file,
      columns: ['ts_known', 'symbol'],
      utf8: true,
      parsers: { timestampFromMicroseconds: (v: bigint) => Number(v) } as never,
    })) as { ts_known: number }[];
    // Only the window's days were replayed: nothing known after the --to session.
    const last = new Date(Math.max(...rows.map((r) => r.ts_known)) / 1000).toISOString().slice(0, 10);
    expect(last).toBe(days.to);
    expect(new Set(rows.map((r) => r.ts_known)).size * 12).toBe(rows.length);
  });

  it("writes a card naming the topology's features, the window and a cut-off inside it", () => {
    expect(card.feature_names).toEqual(resolveFeatures(resolveTopology('topology.yaml').nodes).get('normalised'));
    expect(card.training_window).toEqual(days);
    expect(card.ts_known_cutoff.slice(0, 10)).toBe(days.to);
    expect(card.files['model.onnx']!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the trained model serves a backtest of the days after its cut-off', async () => {
    const out = tempDir('after');
    const summary = await runBacktest({
      topologyFile: 'topology.yaml',
      dataDir: data,
      outDir: out,
      from: '2024-01-08',
      sets: [`model.model=${model}`, 'sizing.min_history=10'],
    });
    // Nothing refused before the trading loop: the model scores every symbol it is given.
    expect(Object.keys(summary.dead_letter_reasons).filter((k) => !k.startsWith('pretrade: ') && !k.startsWith('broker: '))).toEqual([]);
    expect(summary.nodes['model']!['scored']).toBeGreaterThan(0);
    expect(summary.fills).toBeGreaterThan(0);
  });

  it('the runner refuses to let it score the days it was trained on', async () => {
    const out = tempDir('inside');
    await expect(
      runBacktest({ topologyFile: 'topology.yaml', dataDir: data, outDir: out, sets: [`model.model=${model}`] }),
    ).rejects.toThrow(ModelCardError);
    const cli = spawnSync(
      process.execPath,
      [alpha, 'backtest', 'topology.yaml', '--data', data, '--out', out, '--quiet', '--set', `model.model=${model}`],
      { encoding: 'utf8' },
    );
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/trained on data known until .* after the first snapshot it would score .*look-ahead/);
  });
});

describe('alpha model train, failing', () => {
  const trainArgsOn = (dataDir: string, out: string, work: string, ...more: string[]) => [
    alpha,
    'model',
    'train',
    '--data',
    dataDir,
    '--out',
    out,
    '--work',
    work,
    '--quiet',
    ...more,
  ];
  const trainArgs = (out: string, work: string, ...more: string[]) => trainArgsOn(data, out, work, ...more);

  it("gives train.py's reason as its one alpha: line when the window has nothing to rank, and writes no model", async () => {
    // Two symbols: no snapshot has the 3 a rank correlation needs.
    const pair = await dataset({ symbols: 2, days: 2, seed: 5 });
    const out = join(tempDir('flat'), 'model');
    const r = spawnSync(
      process.execPath,
      trainArgsOn(pair, out, tempDir('flat-work'), '--from', '2024-01-02', '--to', '2024-01-03', '--holdout', '0'),
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('train.py: error:');
    expect(r.stderr).toMatch(
      /^alpha: train\.py: .*features\.parquet \(window 2024-01-02\.\.2024-01-03\): the trained model ranks the symbols of no snapshot/m,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses to train when the features run dead-lettered more than --max-dead-letters of its events, and trains past a raised limit', async () => {
    // Every 20th quote crossed: 5% of the quotes, refused by the replay, above the default 1%.
    const { dir: damaged, crossed: crossedByFile } = crossEveryNthQuote(data, 20);
    // The quotes crossed in the window's days: each is a dead letter of the replay, and nothing else is.
    const crossed = [...crossedByFile]
      .filter(([file]) => {
        const day = /(\d{4}-\d{2}-\d{2})\.parquet$/.exec(file)![1]!;
        return day >= days.from && day <= days.to;
      })
      .reduce((sum, [, n]) => sum + n, 0);
    const out = join(tempDir('damaged'), 'model');
    const work = tempDir('damaged-work');
    const args = trainArgsOn(damaged, out, work, '--from', days.from, '--to', days.to, '--bottleneck', '4');
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    const summary = JSON.parse(readFileSync(join(work, 'summary.json'), 'utf8')) as { events: number; dead_letters: number };
    expect(summary.dead_letters).toBe(crossed);
    expect(crossed / summary.events).toBeGreaterThan(0.03);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `\nalpha: the features run wrote ${crossed.toLocaleString('en-US')} dead letters over its ${summary.events.toLocaleString('en-US')} events ` +
        `(${((100 * crossed) / summary.events).toPrecision(2)}%, above --max-dead-letters 0.01: 1.0%); most for ${crossed.toLocaleString('en-US')} "quotes: crossed quote"; ` +
        `see ${join(work, 'dead_letters.jsonl')}: repair the data, or raise --max-dead-letters (up to 1: any share) to train on what is left\n`,
    );
    expect(r.stderr).not.toContain('train.py');
    expect(existsSync(out)).toBe(false);

    const raised = spawnSync(process.execPath, [...args, '--max-dead-letters', '0.1', '--overwrite'], { encoding: 'utf8' });
    expect(raised.stderr).toContain(`warning: the features run wrote ${crossed.toLocaleString('en-US')} dead letters`);
    expect(raised.status).toBe(0);
    expect(existsSync(join(out, 'model.onnx'))).toBe(true);
  }, 120_000);

  it('stops training on SIGINT: exit 130, no model, no staging folder, and train.py gone', async () => {
    const parent = tempDir('interrupted');
    const out = join(parent, 'model');
    const work = tempDir('interrupted-work');
    const child = spawn(process.execPath, trainArgs(out, work, '--from', days.from, '--to', days.to, '--bottleneck', '1024'), {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const started = new Promise<void>((up) =>
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        // train.py has read its input: it is training now.
        if (/train\.py: \d+ rows/.test(stderr)) up();
      }),
    );
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    await started;
    child.kill('SIGINT'); // this process alone: train.py must be stopped by it
    expect(await exited).toBe(130);
    expect(stderr).toContain('alpha: training interrupted (SIGINT): no model written');
    expect(readdirSync(parent)).toEqual([]);
    expect(spawnSync('pgrep', ['-f', `train.py --features ${join(work, 'features.parquet')}`]).status).not.toBe(0);
  }, 60_000);

  it('takes train.py down with it when killed outright (SIGKILL), instead of leaving it training', async () => {
    const work = tempDir('killed-work');
    const child = spawn(
      process.execPath,
      trainArgs(join(tempDir('killed'), 'model'), work, '--from', days.from, '--to', days.to, '--bottleneck', '1024'),
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    await new Promise<void>((up) =>
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (/train\.py: \d+ rows/.test(stderr)) up();
      }),
    );
    const pattern = `train.py --features ${join(work, 'features.parquet')}`;
    expect(spawnSync('pgrep', ['-f', pattern]).status).toBe(0); // training now
    child.kill('SIGKILL');
    const deadline = Date.now() + 2_000;
    while (spawnSync('pgrep', ['-f', pattern]).status === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(spawnSync('pgrep', ['-f', pattern]).status).toBe(1);
  }, 60_000);
});

/**
 * A copy of the dataset in `dir` with every nth quote's bid and ask swapped, its manifest's hashes made
 * to match; with how many quotes of each file that crossed (a locked quote swapped stays sound).
 */
function crossEveryNthQuote(dir: string, nth: number): { dir: string; crossed: Map<string, number> } {
  const crossed = new Map<string, number>();
  const copy = tempDir('crossed');
  cpSync(dir, copy, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8')) as {
    datasets: { quotes: { files: string[]; sha256?: string[] } };
  };
  const quotes = manifest.datasets.quotes;
  quotes.files.forEach((file, k) => {
    const table = readParquetFile(join(copy, file));
    const bid = table.getChild('bid')!.toArray() as Float64Array;
    const ask = table.getChild('ask')!.toArray() as Float64Array;
    const [bids, asks] = [Float64Array.from(bid), Float64Array.from(ask)];
    let n = 0;
    for (let i = nth - 1; i < bids.length; i += nth) {
      [bids[i], asks[i]] = [ask[i]!, bid[i]!];
      if (bids[i]! > asks[i]!) n++;
    }
    crossed.set(file, n);
    const columns = Object.fromEntries(table.schema.fields.map((f) => [f.name, table.getChild(f.name)!]));
    const bytes = parquetBytes(new arrow.Table({ ...columns, bid: arrow.makeVector(bids), ask: arrow.makeVector(asks) }));
    writeFileSync(join(copy, file), bytes);
    if (quotes.sha256) quotes.sha256[k] = createHash('sha256').update(bytes).digest('hex');
  });
  writeFileSync(join(copy, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return { dir: copy, crossed };
}
