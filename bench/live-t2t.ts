/**
 * bench:live's tick-to-trade: one small topology run live against colo_venue, as one process and
 * split in two groups joined by Kafka (the hybrid topology's airlock), measured the way bench:venue
 * measures (bench/venue-audit.ts): per order, from the venue's audit trail, `send_ns` of the MoldUDP64
 * packet holding the quote that raised it → `read_ns` of its Enter Order. Both stamps are the venue's.
 *
 *   quotes (source.itch) → sample (every Nth quote) → signal (an IOC buy at the ask) → broker (execution.ouch)
 *
 * Split: colo runs quotes, sample and broker; cloud runs signal. A sampled quote goes up to Kafka, the
 * cloud process turns it into an order and sends it down, and colo sends it to the venue. One process
 * runs the same nodes with no groups and no Kafka. Each process is `bench/live-t2t-process.ts`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { colo } from '../native/colo/index.ts';
import type { T2tProcessArgs } from './live-t2t-process.ts';
import { type Dist, dist, packetFinder, readAudit } from './venue-audit.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface T2tOptions {
  mode: 'one process' | 'split';
  dir: string;
  flow: string;
  data: string;
  date: string;
  speed: number;
  every: number;
  /** Orders raised by a packet sent in the first `skipSeconds` of the day are counted, not timed (start-up, joins, JIT). */
  skipSeconds: number;
}

export interface T2tResult {
  mode: string;
  total: Dist;
  /** Venue messages per second over the timed part of the day (the audit's packets). */
  feed_messages_per_sec: number;
  orders: number;
  timed: number;
  skipped: number;
  missing: number;
}

const topology = (split: boolean, every: number, rerequest: number, ouch: number): string => {
  const kafka = split ? ', transport: { kind: kafka, partitions: 1 }' : '';
  return `name: t2t
seed: 1
${split ? 'groups:\n  colo: [sample, broker]\n  cloud: [signal]\n' : ''}nodes:
  - { name: quotes, type: source.itch, params: { rerequest_port: ${rerequest} } }
  - { name: sample, type: bench.sample, params: { every: ${every} }, inputs: { quotes: quotes }${kafka} }
  - { name: signal, type: bench.ioc, inputs: { quotes: sample }${kafka} }
  - { name: broker, type: execution.ouch, params: { port: ${ouch} }, inputs: { orders: signal } }
`;
};

const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c))));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function liveProcess(args: T2tProcessArgs): { child: ChildProcess; done: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/live-t2t-process.ts'), JSON.stringify(args)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = exited(child).then((code) => {
    if (code !== 0) throw new Error(`bench:live ${args.group ?? 'one process'} exited with ${code}: ${err.trim()}`);
    return out;
  });
  return { child, done };
}

export async function tickToTrade(o: T2tOptions): Promise<T2tResult> {
  const split = o.mode === 'split';
  const tag = split ? 'split' : 'one';
  const audit = join(o.dir, `audit-${tag}.jsonl`);
  const runId = `t2t${process.pid}${Date.now()}`;
  const daySeconds = 23_400 / o.speed;
  const base = { runId, data: o.data, date: o.date, speed: o.speed };
  const procs: { child: ChildProcess; done: Promise<string> }[] = [];
  let venue: ChildProcess | undefined;
  try {
    if (split) {
      // The cloud process first: its consumer has joined its group by the time the first quote goes up.
      const cloudTopology = join(o.dir, `t2t-${tag}-cloud.yaml`);
      writeFileSync(cloudTopology, topology(true, o.every, 1, 1));
      procs.push(
        liveProcess({ ...base, topology: cloudTopology, group: 'cloud', seconds: daySeconds + 12, out: join(o.dir, `t2t-${tag}-cloud`) }),
      );
      await sleep(5000);
    }
    venue = spawn(
      join(root, 'native/colo/build/colo_venue'),
      ['--flow', o.flow, '--speed', String(o.speed), '--users', 'alpha:alpha', '--audit', audit],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const ready = await new Promise<{ ouch_port: number; rerequest_port: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('colo_venue printed no ready line in 10 s')), 10_000);
      createInterface({ input: venue!.stdout! }).on('line', (l) => {
        if (!l.includes('"ready"')) return;
        clearTimeout(timer);
        resolve(JSON.parse(l) as { ouch_port: number; rerequest_port: number });
      });
    });
    const file = join(o.dir, `t2t-${tag}.yaml`);
    writeFileSync(file, topology(split, o.every, ready.rerequest_port, ready.ouch_port));
    procs.push(
      liveProcess({
        ...base,
        topology: file,
        ...(split ? { group: 'colo' } : {}),
        seconds: daySeconds + 2,
        out: join(o.dir, `t2t-${tag}`),
      }),
    );
    await Promise.all(procs.map((p) => p.done));
    venue.kill('SIGTERM');
    await exited(venue);
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    if (venue && venue.exitCode === null) venue.kill('SIGKILL');
  }
  const ids = [join(o.dir, `t2t-${tag}`), join(o.dir, `t2t-${tag}-cloud`)]
    .filter((d) => existsSync(join(d, 'ids.json')))
    .flatMap((d) => JSON.parse(readFileSync(join(d, 'ids.json'), 'utf8')) as string[]);
  const { firsts, counts, sent, enter, seen } = readAudit(audit);
  const packetOf = packetFinder(firsts, counts);
  const first = sent[0] ?? 0;
  const lat: number[] = [];
  let skipped = 0;
  let missing = 0;
  for (const orderId of ids) {
    const at = sent[packetOf(Number(orderId.slice(4)))];
    const token = colo().ouchToken(orderId);
    const read = enter.get(token);
    if (at === undefined || read === undefined || seen.get(token) !== 1) missing++;
    else if (at - first < o.skipSeconds * 1e9) skipped++;
    else lat.push(read - at);
  }
  // The feed rate: messages the venue sent over the timed part of the day.
  let messages = 0;
  let last = first;
  for (let i = 0; i < sent.length; i++) {
    if (sent[i]! - first < o.skipSeconds * 1e9) continue;
    messages += counts[i]!;
    last = Math.max(last, sent[i]!);
  }
  const span = (last - first) / 1e9 - o.skipSeconds;
  return {
    mode: o.mode,
    total: dist(lat),
    feed_messages_per_sec: span > 0 ? Math.round(messages / span) : 0,
    orders: ids.length,
    timed: lat.length,
    skipped,
    missing,
  };
}
