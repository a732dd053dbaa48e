/**
 * `npm run bench:report`: what `alpha report` spends reading a run folder's Parquet files, file by
 * file: hyparquet's footer parse, the size check before decoding (footer plus each string column's
 * dictionary page, pipelines/report/parquet-size.ts), parquet-wasm's decode to Arrow (what the report
 * reads with) and, as the reference, hyparquet decoding the same file's columns. Each figure is the
 * median of --runs. The footer is parsed twice per file (by the check, then by parquet-wasm): the
 * first two columns say what that costs beside the decode.
 *
 * Flags: --run DIR (a backtest's --out; default: the default backtest, run into a temporary folder)  --runs 5
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { tableFromIPC } from 'apache-arrow';
import { parquetMetadata, parquetRead } from 'hyparquet';
import { parquetToIpc } from '../lib/io/parquet.ts';
import { parquetSize } from '../pipelines/report/parquet-size.ts';
import { benchFlags, refuse, wholeNumber } from './flags.ts';
import { median } from './median.ts';

const flags = benchFlags('report', { run: { type: 'string' }, runs: { type: 'string', default: '5' } });
const runs = wholeNumber(flags, 'runs', { max: 1_000 });
const given = flags.values.run;
if (given !== undefined && !existsSync(join(given, 'summary.json')))
  refuse('report', `--run '${given}': expected a backtest's output folder (with summary.json), or no --run to make one`);

let dir = given;
if (dir === undefined) {
  dir = mkdtempSync(join(tmpdir(), 'alpha-bench-report-'));
  try {
    execFileSync(process.execPath, ['bin/alpha.mjs', 'backtest', 'topology.yaml', '--out', dir, '--overwrite', '--quiet'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    refuse('report', 'the default backtest failed (its alpha: line is above): nothing to read; fix it, or give --run DIR');
  }
}

async function timed(f: () => unknown): Promise<number> {
  const times: number[] = [];
  await f(); // warm-up
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  return median(times);
}

const ms = (x: number): string => x.toFixed(x < 10 ? 2 : 1).padStart(9);
console.log(`run folder ${dir}, median of ${runs} runs, ms`);
console.log(`${'file'.padEnd(22)}${'MB'.padStart(6)}   footer  size check  decode (parquet-wasm)  decode (hyparquet)`);
const sums = [0, 0, 0, 0];
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.parquet'))
  .sort()) {
  const bytes = new Uint8Array(readFileSync(join(dir, file)));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const metadata = parquetMetadata(buffer);
  const figures = [
    await timed(() => parquetMetadata(buffer)),
    await timed(() => parquetSize(bytes)),
    await timed(() => tableFromIPC(parquetToIpc(bytes))),
    await timed(() => parquetRead({ file: buffer, metadata, utf8: true })),
  ];
  figures.forEach((x, i) => {
    sums[i]! += x;
  });
  console.log(`${file.padEnd(22)}${(bytes.length / 1e6).toFixed(1).padStart(6)}${figures.map(ms).join('    ')}`);
}
console.log(`${'all'.padEnd(28)}${sums.map(ms).join('    ')}`);
console.log(
  `the second footer parse: ${((100 * sums[0]!) / sums[2]!).toFixed(1)}% of the decode; the size check ${((100 * sums[1]!) / sums[2]!).toFixed(1)}%; hyparquet decodes in ${(sums[3]! / sums[2]!).toFixed(2)}× parquet-wasm's time`,
);
if (given === undefined) rmSync(dir, { recursive: true, force: true });
