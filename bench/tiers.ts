/**
 * `npm run bench:tiers` (issue 17): the storage tiers' figures in one run, each beside its reference.
 * - hot and flush (bench/tiers-hot.ts): ticks/s into Redis beside redis-benchmark's XADD, and the
 *   end-of-day flush's rows/s beside the lake append of the same rows;
 * - cold (bench/tiers-cold.ts): archive and restore MB/s beside a plain PutObject/GetObject loop and
 *   cp, and replay events/s from cold beside warm.
 * Needs `npm run services:up` and `npm run setup:lake`. The object store's identity comes from the
 * environment, else from the pair the services script keeps (.services/cache/seaweedfs-s3.env), as
 * the tests take it; it is never printed.
 * Flags: those of both parts (--records --flush-records; --symbols --days --runs), each passed to its part.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchFlags } from './flags.ts';
import { coldOptions, coldValues, hotOptions, hotValues } from './tiers-flags.ts';

// Both parts' flags, checked before either runs; each part is given its own.
const flags = benchFlags('tiers', { ...hotOptions, ...coldOptions });
const hot = hotValues(flags);
const cold = coldValues(flags);
const partArgs: Record<string, string[]> = {
  'tiers-hot.ts': ['--records', String(hot.records), '--flush-records', String(hot.flushRecords)],
  'tiers-cold.ts': ['--symbols', String(cold.symbols), '--days', String(cold.days), '--runs', String(cold.runs)],
};

const root = fileURLToPath(new URL('..', import.meta.url));
const pairFile = join(process.env['SERVICES_CACHE_DIR'] ?? join(root, '.services/cache'), 'seaweedfs-s3.env');
const env = { ...process.env };
if (!env['ALPHA_S3_ACCESS_KEY'] && existsSync(pairFile)) {
  for (const line of readFileSync(pairFile, 'utf8').split('\n')) {
    const m = /^(ALPHA_S3_ACCESS_KEY|ALPHA_S3_SECRET_KEY)=(.+)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
}
let failed = 0;
for (const part of ['tiers-hot.ts', 'tiers-cold.ts']) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', part), ...partArgs[part]!], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    failed++;
    process.stderr.write(`alpha bench:tiers: bench/${part} exited with ${r.status ?? r.signal}\n`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
