/**
 * `npm run bench:colo`: the colo C++ library on one core (native/colo/bench/colo_bench.cc: ITCH
 * decode, decode + L3 book, OUCH encode + SoupBinTCP framing, beside memcpy and a walk of the
 * same bytes), then the same ITCH session read from Node through the addon (ItchFile.run: the
 * book only; ItchFile.next: the book plus quote/trade columns handed to JS), and by PyPI's itchcpp
 * 1.6.4 (a C++ ITCH parser and book behind Python: BookManager.process_stream, one pass, every
 * symbol tracked), in .venv/research (bash research/setup.sh).
 *
 * Flags (passed to colo_bench): --messages 20000000 --symbols 500 --runs 5
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { colo } from '../native/colo/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bench = join(root, 'native/colo/build/colo_bench');
const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
if (!existsSync(bench)) execFileSync('bash', [join(root, 'native/colo/build.sh')], { stdio: 'inherit' });

// One core, as the issue's targets are stated; taskset is in util-linux on every Debian.
const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const run = pinned ? spawnSync('taskset', ['-c', '0', bench, ...args], { stdio: 'inherit' }) : spawnSync(bench, args, { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);

const messages = flag('messages', 20_000_000);
const symbols = flag('symbols', 500);
const runs = flag('runs', 5);
const dir = mkdtempSync(join(tmpdir(), 'alpha-bench-colo-'));
try {
  const file = join(dir, 'session.itch');
  writeFileSync(file, colo().simulateItchSession({ messages, symbols, seed: 7 }));
  const best = async (f: () => Promise<number>): Promise<{ s: number; n: number }> => {
    let s = Infinity;
    let n = 0;
    for (let r = 0; r < runs; r++) {
      const t0 = process.hrtime.bigint();
      n = await f();
      s = Math.min(s, Number(process.hrtime.bigint() - t0) / 1e9);
    }
    return { s, n };
  };
  const runOnly = await best(async () => {
    const f = new (colo().ItchFile)(file);
    await f.run();
    return f.summary().messages;
  });
  let rows = 0;
  const drained = await best(async () => {
    const f = new (colo().ItchFile)(file);
    rows = 0;
    for (;;) {
      const step = f.next(65_536);
      rows += step.quotes.locate.length + step.trades.locate.length;
      if (step.done) break;
    }
    return f.summary().messages;
  });
  let peer = '';
  const py = join(root, '.venv/research/bin/python');
  if (existsSync(py)) {
    const names = Array.from({ length: symbols }, (_, i) => `S${String(i + 1).padStart(4, '0')}`);
    const out = execFileSync(
      pinned ? 'taskset' : py,
      [...(pinned ? ['-c', '0', py] : []), join(root, 'native/colo/crosscheck/itchcpp_vectors.py'), 'bench', file, String(runs), ...names],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    const seconds = (JSON.parse(out) as { seconds: number }).seconds;
    peer = `itchcpp 1.6.4 BookManager.process_stream (peer, same file, one core)`;
    peer = `${peer.padEnd(52)} ${Math.round(runOnly.n / seconds)
      .toString()
      .padStart(14)} ${((seconds * 1e9) / runOnly.n).toFixed(2).padStart(10)}\n`;
  } else {
    peer = 'itchcpp: .venv/research is missing (bash research/setup.sh): no peer row\n';
  }
  const line = (what: string, r: { s: number; n: number }): string =>
    `${what.padEnd(52)} ${Math.round(r.n / r.s)
      .toString()
      .padStart(14)} ${((r.s * 1e9) / r.n).toFixed(2).padStart(10)}`;
  process.stdout.write(
    `\nfrom Node through colo.node (same session, best of ${runs}; not pinned: the addon's worker thread)\n` +
      `${''.padEnd(52)} ${'msg/s'.padStart(14)} ${'ns/msg'.padStart(10)}\n` +
      `${line('ItchFile.run(): file → book', runOnly)}\n` +
      `${line(`ItchFile.next(): file → book → ${rows.toLocaleString('en-US')} rows to JS`, drained)}\n${peer}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
