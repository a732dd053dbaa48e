/**
 * A Delta log's paths stay inside their table folder. A hostile review found `alpha data query`
 * reading another lake's file, exit 0 and 41,646 rows instead of 31,228, when a commit's `add.path` was
 * an absolute path, a `file:` URI or a `../` path to it, and following a partition folder that is a
 * symlink to a folder outside the lake. Each such table must now be refused by the query and by the
 * lake replay of `alpha backtest --lake` (its own reader: lib/io/lake/replay.ts) with one line
 * `alpha: …` naming the table and the path, exit 1; the same lake untouched reads every row. The lake
 * tools are installed by the vitest setup (test/helpers/lake-setup.ts).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../pipelines/data/manifest.ts';
import { sampleToLake } from '../../pipelines/data/sample-to-lake.ts';
import { lakeInstall } from '../../lib/io/lake/install.ts';
import { type CliRun, runAlpha } from '../helpers/cli.ts';
import { dataset } from '../helpers/datasets.ts';
import { tempLake } from '../helpers/lake.ts';

const tmp = tempLake('lake-paths');
afterAll(() => tmp.remove());
/** The lake every case starts from (a copy of it is tampered with), and another lake whose files the cases point at. */
const good = join(tmp.dir, 'good');
const other = join(tmp.dir, 'other');
let data: string;
let trades: number;

const log = (lake: string): string => join(lake, 'trades', '_delta_log');
/** The data files of the table `trades` of `lake` (relative to the table folder). */
const dataFiles = (lake: string): string[] =>
  readdirSync(join(lake, 'trades'))
    .filter((d) => d.startsWith('date='))
    .sort()
    .flatMap((d) => readdirSync(join(lake, 'trades', d)).map((f) => `${d}/${f}`));

/** A copy of the good lake, named `name`. */
function copyOfGood(name: string): string {
  const lake = join(tmp.dir, name);
  cpSync(good, lake, { recursive: true, verbatimSymlinks: true });
  return lake;
}

/** Rewrites the path of the first `add` of the table's commit 1. */
function rewriteFirstAdd(lake: string, to: (path: string) => string): string {
  const file = join(log(lake), '00000000000000000001.json');
  let done = '';
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => {
      if (done || !line.startsWith('{"add"')) return line;
      const action = JSON.parse(line) as { add: { path: string } };
      done = action.add.path = to(action.add.path);
      return JSON.stringify(action);
    });
  writeFileSync(file, lines.join('\n'));
  return done;
}

/** The source topology that replays the lake's trades. */
const topology = (): string => {
  const file = join(tmp.dir, 'replay.yaml');
  writeFileSync(
    file,
    'name: lake_paths\nseed: 1\nnodes:\n  - name: trades\n    type: source.replay\n    params: { dataset: trades, schema: Trade, store: lake }\n',
  );
  return file;
};

const query = (lake: string): Promise<CliRun> =>
  runAlpha(['data', 'query', 'trades', '--lake', lake, '--all-versions', '--format', 'csv'], 60_000);
let runs = 0;
const backtest = (lake: string): Promise<CliRun> =>
  runAlpha(['backtest', topology(), '--data', data, '--lake', lake, '--out', join(tmp.dir, `out-${runs++}`), '--quiet'], 120_000);

beforeAll(async () => {
  data = await dataset({ symbols: 2, days: 2 });
  await sampleToLake(data, readManifest(data), good);
  await sampleToLake(data, readManifest(data), other);
  const r = await query(good);
  expect(r.code, r.stderr).toBe(0);
  trades = r.stdout.trim().split('\n').length - 1;
}, 120_000);

/** One refusal: exit 1, one `alpha:` line naming the table and each of `names`, nothing on stdout, no stack trace. */
function expectRefused(r: CliRun, names: readonly string[]): void {
  expect(r.code, r.stderr + r.stdout.slice(0, 200)).toBe(1);
  expect(r.stderr).toMatch(/^alpha: /);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).toContain('dataset "trades"');
  for (const n of names) expect(r.stderr).toContain(n);
  expect(r.stdout).toBe('');
}

/** The query and the replay of `lake` are both refused, each with one line naming the table and `names`. */
async function bothRefused(lake: string, names: readonly string[]): Promise<void> {
  const [q, b] = await Promise.all([query(lake), backtest(lake)]);
  expectRefused(q, names);
  expect(b.code, b.stderr).toBe(1);
  expect(
    b.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('alpha: ')),
  ).toHaveLength(1);
  expect(b.stderr).not.toMatch(/\n\s+at /);
  expect(b.stderr).toContain('dataset "trades"');
  for (const n of names) expect(b.stderr).toContain(n);
}

describe("a Delta log's paths stay inside the table folder", () => {
  it('the untouched lake reads every row, by the query and by the replay', async () => {
    const manifest = readManifest(data);
    expect(trades).toBeGreaterThan(100);
    expect(trades).toBe(manifest.datasets['trades']!.rows);
    const b = await backtest(good);
    expect(b.code, b.stderr).toBe(0);
  }, 120_000);

  it('refuses an add.path that is the absolute path of another lake’s Parquet file', async () => {
    const lake = copyOfGood('absolute');
    const target = join(other, 'trades', dataFiles(other)[0]!);
    rewriteFirstAdd(lake, () => target);
    await bothRefused(lake, [JSON.stringify(target), 'an absolute path']);
  }, 120_000);

  it('refuses an add.path that is a file: URI of another lake’s Parquet file', async () => {
    const lake = copyOfGood('uri');
    const target = pathToFileURL(join(other, 'trades', dataFiles(other)[0]!)).href;
    rewriteFirstAdd(lake, () => target);
    await bothRefused(lake, [JSON.stringify(target), 'a URI with a scheme']);
  }, 120_000);

  it('refuses an add.path that climbs out of the table folder with ../', async () => {
    const lake = copyOfGood('dotdot');
    const target = `../../other/trades/${dataFiles(other)[0]!}`;
    rewriteFirstAdd(lake, () => target);
    await bothRefused(lake, [JSON.stringify(target), '".." segment']);
  }, 120_000);

  it('refuses a partition folder that is a symlink to a copy outside the lake', async () => {
    const lake = copyOfGood('linked');
    const partition = dataFiles(lake)[0]!.split('/')[0]!;
    const outside = join(tmp.dir, 'elsewhere', partition);
    // The copy outside holds another lake's rows under the names the log gives.
    cpSync(join(lake, 'trades', partition), outside, { recursive: true });
    for (const f of readdirSync(outside)) cpSync(join(other, 'trades', dataFiles(other)[1]!), join(outside, f));
    renameSync(join(lake, 'trades', partition), join(tmp.dir, 'moved-away'));
    symlinkSync(outside, join(lake, 'trades', partition));
    await bothRefused(lake, [partition, `resolves to ${outside}`, 'outside the table folder']);
  }, 120_000);

  it("refuses a checkpoint whose add names another lake's file", async () => {
    const lake = copyOfGood('checkpoint');
    const target = join(other, 'trades', dataFiles(other)[0]!);
    const script = [
      'import sys, pyarrow as pa, pyarrow.parquet as pq',
      'from deltalake import DeltaTable',
      'DeltaTable(sys.argv[1]).create_checkpoint()',
      'f = sys.argv[1] + "/_delta_log/00000000000000000001.checkpoint.parquet"',
      't = pq.read_table(f); rows = t.to_pylist()',
      'next(r for r in rows if r["add"])["add"]["path"] = sys.argv[2]',
      'pq.write_table(pa.Table.from_pylist(rows, schema=t.schema), f)',
    ].join('\n');
    execFileSync(lakeInstall().python, ['-c', script, join(lake, 'trades'), target]);
    await bothRefused(lake, ['checkpoint.parquet', JSON.stringify(target)]);
  }, 120_000);

  it('reads a table with an untouched checkpoint, and refuses a v2 checkpoint (a UUID-named one DuckDB also reads)', async () => {
    const lake = copyOfGood('v2');
    const checkpoint = 'from deltalake import DeltaTable\nimport sys\nDeltaTable(sys.argv[1]).create_checkpoint()';
    execFileSync(lakeInstall().python, ['-c', checkpoint, join(lake, 'trades')]);
    const r = await query(lake);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').length - 1).toBe(trades);
    // Its adds were not checked: an absolute path to another lake's file in one was read as the table's.
    const log = join(lake, 'trades', '_delta_log');
    const v2 = '00000000000000000001.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.parquet';
    cpSync(join(log, '00000000000000000001.checkpoint.parquet'), join(log, v2));
    await bothRefused(lake, [v2, 'is a v2 checkpoint']);
  }, 120_000);

  it('refuses an add that gives its path twice (JSON.parse keeps the last; RFC 8259 leaves what a reader keeps unpredictable)', async () => {
    const lake = copyOfGood('twice');
    const target = join(other, 'trades', dataFiles(other)[0]!);
    const file = join(log(lake), '00000000000000000001.json');
    const lines = readFileSync(file, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('{"add":{"path":'));
    // The other lake's file first, the table's own file last: the check saw only the last (DuckDB 1.5 keeps the last too).
    lines[i] = lines[i]!.replace('{"add":{', `{"add":{"path":${JSON.stringify(target)},`);
    writeFileSync(file, lines.join('\n'));
    await bothRefused(lake, ['00000000000000000001.json line', 'key "path" is given twice', '$.add']);
  }, 120_000);

  it('still reads a relative path that is URL-encoded (date%3D…), as Delta may write it', async () => {
    const lake = copyOfGood('encoded');
    rewriteFirstAdd(lake, (p) => p.replace('=', '%3D'));
    const r = await query(lake);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').length - 1).toBe(trades);
  }, 120_000);
});
