/**
 * `npm run bench:colo`: the colo C++ library on one core (native/colo/bench/colo_bench.cc: ITCH
 * decode, decode + L3 book, OUCH encode + SoupBinTCP framing, beside memcpy and a walk of the
 * same bytes), then the same ITCH session read from Node through the addon (ItchFile.run: the
 * book only; ItchFile.next: the book plus quote/trade columns handed to JS), and by PyPI's itchcpp
 * 1.6.4 (a C++ ITCH parser and book behind Python: BookManager.process_stream, one pass, every
 * symbol tracked), in .venv/research (bash research/setup.sh). Last, ItchFeed: a session published
 * over MoldUDP64 on loopback (startMoldPublisher) to a feed that joined first (live: one burst, the
 * losses re-requested) and to one that joins after (a rebuild from sequence 1), rows taken by JS
 * with take() on each onData call.
 *
 * Flags (passed to colo_bench): --messages 20000000 --symbols 500 --runs 5 --triggers 200000 --json
 * (its table as JSON);
 * --feed-messages 2000000 (this script only: the ItchFeed session).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { colo, type ItchFeed } from '../native/colo/index.ts';
import { benchFlags, wholeNumber } from './flags.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bench = join(root, 'native/colo/build/colo_bench');
// --messages, --symbols, --runs, --triggers and --json are colo_bench's (passed on once checked; its
// defaults are the same); the first three size this script's Node rows too.
const flags = benchFlags('colo', {
  messages: { type: 'string', default: '20000000' },
  symbols: { type: 'string', default: '500' },
  runs: { type: 'string', default: '5' },
  triggers: { type: 'string', default: '200000' },
  json: { type: 'boolean' },
  'feed-messages': { type: 'string', default: '2000000' },
});
// simulateItchSession's limits; colo_bench takes them too.
const messages = wholeNumber(flags, 'messages', { max: 100_000_000 });
const symbols = wholeNumber(flags, 'symbols', { max: 9999 });
const runs = wholeNumber(flags, 'runs', { max: 1000 });
const triggers = wholeNumber(flags, 'triggers', { max: 100_000_000 });
const feedMessages = wholeNumber(flags, 'feed-messages', { max: 100_000_000 });
const args = [
  ...['--messages', messages, '--symbols', symbols, '--runs', runs, '--triggers', triggers].map(String),
  ...(flags.values.json === true ? ['--json'] : []),
];
if (!existsSync(bench)) execFileSync('bash', [join(root, 'native/colo/build.sh')], { stdio: 'inherit' });

// One core, as the issue's targets are stated; taskset is in util-linux on every Debian.
const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const run = pinned ? spawnSync('taskset', ['-c', '0', bench, ...args], { stdio: 'inherit' }) : spawnSync(bench, args, { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);

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
  await feedBench();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Takes rows on each onData call (or every 5 ms) until `done`; times the take() calls. */
async function drainFeed(feed: ItchFeed, done: () => boolean) {
  let wake: (() => void) | null = null;
  feed.onData(() => wake?.());
  let rows = 0;
  let takes = 0;
  let takeNs = 0n;
  const take = () => {
    const t0 = process.hrtime.bigint();
    const { quotes, trades } = feed.take();
    takeNs += process.hrtime.bigint() - t0;
    rows += quotes.locate.length + trades.locate.length;
    takes++;
  };
  while (!done()) {
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 5);
    });
    take();
  }
  take();
  return { rows, takes, takeNs };
}

async function feedBench(): Promise<void> {
  const bytes = colo().simulateItchSession({ messages: feedMessages, symbols, seed: 7 });
  let total = 0;
  for (let off = 0; off + 2 <= bytes.length; total++) off += 2 + bytes.readUInt16BE(off);
  const out: string[] = [];
  const row = (what: string, seconds: number, r: { rows: number; takes: number; takeNs: bigint }, requests: number) =>
    out.push(
      `${what.padEnd(52)} ${Math.round(total / seconds)
        .toString()
        .padStart(14)} ${Math.round(r.rows / seconds)
        .toString()
        .padStart(14)} ${(Number(r.takeNs) / 1e3 / r.takes).toFixed(1).padStart(10)} ${String(requests).padStart(9)}`,
    );

  // Live: the feed joins, then the whole session goes out in one burst from this thread; what the
  // kernel drops on the way (the feed's socket holds ~4 MB) is re-requested.
  {
    const pub = colo().startMoldPublisher(bytes);
    const feed = new (colo().ItchFeed)({ rerequestPort: pub.rerequestPort });
    try {
      while (pub.stats().subscribers === 0) await new Promise((r) => setTimeout(r, 1));
      const t0 = process.hrtime.bigint();
      pub.publish();
      const r = await drainFeed(feed, () => feed.stats().ended);
      row('live: publish burst → feed → take()', Number(process.hrtime.bigint() - t0) / 1e9, r, feed.stats().requests);
    } finally {
      feed.close();
      pub.stop();
    }
  }
  // Rebuild: everything published before the feed joins; all of it comes by re-request.
  {
    const pub = colo().startMoldPublisher(bytes);
    try {
      pub.publish();
      const t0 = process.hrtime.bigint();
      const feed = new (colo().ItchFeed)({ rerequestPort: pub.rerequestPort });
      try {
        const r = await drainFeed(feed, () => feed.stats().delivered === total);
        row('late join: re-request from 1 → feed → take()', Number(process.hrtime.bigint() - t0) / 1e9, r, feed.stats().requests);
      } finally {
        feed.close();
      }
    } finally {
      pub.stop();
    }
  }
  process.stdout.write(
    `\nItchFeed over MoldUDP64 on 127.0.0.1 (${total.toLocaleString('en-US')} messages, ${symbols} symbols; one run, not pinned)\n` +
      `${''.padEnd(52)} ${'msg/s'.padStart(14)} ${'rows/s to JS'.padStart(14)} ${'µs/take'.padStart(10)} ${'requests'.padStart(9)}\n` +
      `${out.join('\n')}\n`,
  );
}
