/**
 * source.replay with `store: lake`: the same generated sample read from its data folder and from the
 * lake (appended by `alpha data generate --lake`'s code) gives the same records on the source edges and
 * the same fills.parquet, byte for byte; as_of and version select what was known and what was committed;
 * bad params are refused as `alpha: …` lines. Expected records are read from the flat files with the
 * independent Parquet path (lib/io/parquet.ts), never from the lake reader under test.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../../pipelines/data/manifest.ts';
import { sampleToLake } from '../../../pipelines/data/sample-to-lake.ts';
import { writeReport } from '../../../pipelines/report/write-report.ts';
import { runBacktest } from '../../../pipelines/runtime/backtest.ts';
import { appendFiles } from '../../../lib/io/lake/append.ts';
import { createTable } from '../../../lib/io/lake/create.ts';
import { readParquetFile } from '../../../lib/io/parquet.ts';
import { runAlpha } from '../../helpers/cli.ts';
import { dataset, tempDir } from '../../helpers/datasets.ts';
import { tempLake } from '../../helpers/lake.ts';

const lake = tempLake('lake-replay');
afterAll(() => lake.remove());
let data: string;

beforeAll(async () => {
  data = await dataset({ symbols: 6, days: 3, correctionRate: 0.05 });
  await sampleToLake(data, readManifest(data), lake.dir);
}, 60_000);

/** The default topology with taps on both sources, reading from `store`. */
function topology(store: 'files' | 'lake', extra = ''): string {
  const text = readFileSync('topology.yaml', 'utf8')
    .replace(/^data: .*$/m, '')
    .replace(/^seed: 42$/m, 'seed: 42\ntaps: [quotes, trades]');
  const lakeParams = store === 'lake' ? `, store: lake${extra}` : '';
  const out = text
    .replace(
      '    type: source.replay\n  - name: trades',
      `    type: source.replay\n    params: { dataset: quotes${lakeParams} }\n  - name: trades`,
    )
    .replace('params: { dataset: trades, schema: Trade }', `params: { dataset: trades, schema: Trade${lakeParams} }`);
  const file = join(tempDir('lake-topology'), 'topology.yaml');
  writeFileSync(file, out);
  return file;
}

const run = async (file: string): Promise<{ out: string; fills: number }> => {
  const out = join(tempDir('lake-run'), 'out');
  const summary = await runBacktest({ topologyFile: file, dataDir: data, lakeDir: lake.dir, outDir: out });
  return { out, fills: summary.fills };
};

const lines = (file: string): string[] => readFileSync(file, 'utf8').trim().split('\n');

/** Every trade of the flat files, as the records a replay emits (field order of the schema). */
function flatTrades(): Record<string, unknown>[] {
  const manifest = readManifest(data);
  return manifest.datasets['trades']!.files.flatMap((f) =>
    readParquetFile(join(data, f))
      .toArray()
      .map((r) => {
        const o = r.toJSON() as Record<string, unknown>;
        // Arrow hands TIMESTAMP(MICROS) over as fractional ms: back to whole µs.
        const micros = (v: unknown): number => Math.round(Number(v) * 1000);
        return { ...o, ts_event: micros(o['ts_event']), ts_known: micros(o['ts_known']), seq: Number(o['seq']), id: Number(o['id']) };
      }),
  );
}

describe('source.replay from the lake', () => {
  it('gives the records and the fills of the same data read from flat files', async () => {
    const flat = await run(topology('files'));
    const fromLake = await run(topology('lake'));
    expect(flat.fills).toBeGreaterThan(0); // a run that trades, so equal fills say something
    for (const tap of ['quotes', 'trades']) {
      const a = lines(join(flat.out, 'taps', `${tap}.jsonl`));
      expect(a.length).toBeGreaterThan(1000);
      expect(lines(join(fromLake.out, 'taps', `${tap}.jsonl`))).toEqual(a);
    }
    expect(readFileSync(join(fromLake.out, 'fills.parquet')).equals(readFileSync(join(flat.out, 'fills.parquet')))).toBe(true);
    // The data hash says what was read: the lake's reads differ from the files'.
    const hash = (out: string): string => JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).data_sha256;
    expect(hash(fromLake.out)).not.toBe(hash(flat.out));
    // And says what it covers: alpha report --data cannot compute the lake's part again, and says so.
    const of = (out: string): string => JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).data_sha256_of;
    expect([of(flat.out), of(fromLake.out)]).toEqual(['folder', 'folder+lake']);
    expect((await writeReport({ runDir: flat.out, data })).warnings).toEqual([]);
    expect((await writeReport({ runDir: fromLake.out, data })).warnings).toEqual([
      `--data ${data} is not checked against the run's data: the run read a lake too (a store: lake source), which the report does not read`,
    ]);
  }, 120_000);

  it('as_of T delivers exactly the rows known by T: a correction known after T is left out, one known by T is in', async () => {
    const trades = flatTrades();
    const corrections = trades.filter((t) => t['version'] === 2).sort((a, b) => Number(a['ts_known']) - Number(b['ts_known']));
    expect(corrections.length).toBeGreaterThan(2);
    // T one µs before a correction (in the middle of the run) became known: it and what follows are out, the ones before are in.
    const pivot = corrections[Math.floor(corrections.length / 2)]!;
    const T = Number(pivot['ts_known']) - 1;
    const dir = tempDir('lake-asof');
    const file = join(dir, 'src.yaml');
    writeFileSync(
      file,
      `name: as_of\nseed: 1\ntaps: [trades]\nnodes:\n  - name: trades\n    type: source.replay\n    params: { dataset: trades, schema: Trade, store: lake, as_of: ${T} }\n`,
    );
    const out = join(dir, 'out');
    await runBacktest({ topologyFile: file, dataDir: data, lakeDir: lake.dir, outDir: out });
    const got = lines(join(out, 'taps', 'trades.jsonl')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const want = trades.filter((t) => Number(t['ts_known']) <= T);
    expect(got).toEqual(want);
    expect(got.some((t) => t['id'] === pivot['id'] && t['version'] === 1)).toBe(true); // its original was known
    expect(got.some((t) => t['id'] === pivot['id'] && t['version'] === 2)).toBe(false);
    expect(got.filter((t) => t['version'] === 2).length).toBe(corrections.filter((c) => Number(c['ts_known']) <= T).length);
    expect(got.filter((t) => t['version'] === 2).length).toBeGreaterThan(0);

    // An ISO time one second later than a correction's ts_known includes it.
    const isoAfter = new Date(Math.floor(Number(pivot['ts_known']) / 1e6) * 1000 + 1000).toISOString().replace('.000Z', 'Z');
    writeFileSync(file, readFileSync(file, 'utf8').replace(`as_of: ${T}`, `as_of: "${isoAfter}"`));
    const out2 = join(dir, 'out2');
    await runBacktest({ topologyFile: file, dataDir: data, lakeDir: lake.dir, outDir: out2 });
    const got2 = lines(join(out2, 'taps', 'trades.jsonl')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(got2.some((t) => t['id'] === pivot['id'] && t['version'] === 2)).toBe(true);
    expect(got2.length).toBeGreaterThan(got.length);
  }, 120_000);

  it('version N replays the table as committed then: later appends are left out', async () => {
    const manifest = readManifest(data);
    const versioned = tempLake('lake-replay-version');
    try {
      await createTable(versioned.dir, 'trades', 'Trade'); // version 0
      const files = manifest.datasets['trades']!.files.map((f) => join(data, f));
      await appendFiles(versioned.dir, 'trades', [files[0]!]); // version 1: the first day
      await appendFiles(versioned.dir, 'trades', files.slice(1)); // version 2: the others
      const firstDay = readParquetFile(files[0]!).numRows;
      const dir = tempDir('lake-version');
      const file = join(dir, 'src.yaml');
      const counts: number[] = [];
      for (const version of [1, 2]) {
        writeFileSync(
          file,
          `name: v\nseed: 1\ntaps: [trades]\nnodes:\n  - name: trades\n    type: source.replay\n    params: { dataset: trades, schema: Trade, store: lake, version: ${version} }\n`,
        );
        const out = join(dir, `out${version}`);
        const summary = await runBacktest({ topologyFile: file, dataDir: data, lakeDir: versioned.dir, outDir: out });
        counts.push(summary.events);
      }
      expect(counts).toEqual([firstDay, flatTrades().length]);
    } finally {
      versioned.remove();
    }
  }, 120_000);
});

describe('source.replay from the lake: refusals', () => {
  const backtest = (file: string, ...extra: string[]) =>
    runAlpha(
      ['backtest', file, '--data', data, '--lake', lake.dir, '--out', join(tempDir('lake-refuse'), 'out'), '--quiet', ...extra],
      60_000,
    );
  const src = (params: string): string => {
    const file = join(tempDir('lake-src'), 'src.yaml');
    writeFileSync(file, `name: s\nseed: 1\nnodes:\n  - name: q\n    type: source.replay\n    params: ${params}\n`);
    return file;
  };

  it.each([
    [
      'an unknown dataset',
      '{ dataset: nope, store: lake }',
      /^alpha: dataset "nope": no Delta table at .*nope \(create it with alpha data lake create nope --schema NAME\)$/m,
    ],
    [
      'a table of another schema',
      '{ dataset: trades, store: lake }',
      /^alpha: dataset "trades" of the lake .* holds Trade records: the replay reads it as Quote$/m,
    ],
    [
      'a version the table lacks',
      '{ dataset: quotes, store: lake, version: 7 }',
      /^alpha: version 7: dataset "quotes" of the lake .* has versions 0 to 1$/m,
    ],
    [
      'a bad as_of',
      '{ dataset: quotes, store: lake, as_of: "2024-01-02 15:00" }',
      /param "as_of" is "2024-01-02 15:00" — expected µs since the epoch/,
    ],
    ['an as_of of another type', '{ dataset: quotes, store: lake, as_of: [1] }', /param "as_of"/],
    ['as_of without the lake', '{ dataset: quotes, as_of: 1704205800000000 }', /as_of and version read the lake: set store: lake/],
    ['a negative version', '{ dataset: quotes, store: lake, version: -1 }', /param "version"/],
    ['a dataset name that is not an identifier', '{ dataset: "../quotes", store: lake }', /param "dataset" is "..\/quotes"/],
    ['a dataset name with a quote', `{ dataset: "q'; DROP", store: lake }`, /param "dataset"/],
    ['an unknown store', '{ dataset: quotes, store: s3 }', /param "store" is "s3"/],
  ])(
    'refuses %s',
    async (_what, params, message) => {
      const r = await backtest(src(params));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    },
    60_000,
  );

  it('refuses a lake folder that does not exist', async () => {
    const r = await runAlpha(
      [
        'backtest',
        src('{ dataset: quotes, store: lake }'),
        '--data',
        data,
        '--lake',
        join(lake.dir, 'missing'),
        '--out',
        join(tempDir('lake-refuse'), 'out'),
        '--quiet',
      ],
      60_000,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^alpha: --lake .*missing: no such folder$/m);
  }, 60_000);
});
