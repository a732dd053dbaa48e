/**
 * bench:live's feed-rate sweep for the split: examples/hybrid.yaml as its two `alpha live --group`
 * processes (colo: the feeds, bars, orders, pre-trade risk, OUCH; cloud: features, model, sizing),
 * joined by Kafka, against colo_venue at one speed. Returns what each group's summary.json says.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface GroupRun {
  events: number;
  feed_seconds: number;
  lag_ms: { p50: number; p99: number; max: number };
  orders: number;
  nodes: Record<string, Record<string, number>>;
}

function alphaLive(args: string[]): Promise<void> {
  const child = spawn(process.execPath, [join(root, 'bin/alpha.mjs'), 'live', 'examples/hybrid.yaml', '--quiet', ...args], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`alpha live ${args.join(' ')}: exit ${code}: ${err.trim()}`)))),
  );
}

/**
 * Starts the cloud group, then (after `headStartSeconds`, for its consumer to join) the venue and the
 * colo group; the colo group runs `seconds`, the cloud group until the colo group is done and 3 s more.
 */
export async function splitRun(o: {
  dir: string;
  data: string;
  date: string;
  speed: number;
  seconds: number;
  headStartSeconds: number;
  venue: (speed: number) => Promise<{ child: { kill(signal: NodeJS.Signals): boolean }; ouch: number; rerequest: number }>;
  /** Tells this run's folders and run id from the others' of one bench (default: the speed). */
  tag?: string;
}): Promise<{ colo: GroupRun; cloud: GroupRun }> {
  const tag = o.tag ?? String(o.speed);
  const runId = `split${process.pid}x${o.speed}n${tag}`;
  const common = ['--run-id', runId, '--data', o.data, '--date', o.date, '--speed', String(o.speed)];
  const out = (g: string) => join(o.dir, `split-${o.speed}-${tag}-${g}`);
  const cloud = alphaLive([...common, '--group', 'cloud', '--seconds', String(o.headStartSeconds + o.seconds + 8), '--out', out('cloud')]);
  await new Promise((r) => setTimeout(r, o.headStartSeconds * 1000));
  const v = await o.venue(o.speed);
  try {
    await alphaLive([
      ...common,
      '--group',
      'colo',
      '--seconds',
      String(o.seconds),
      '--out',
      out('colo'),
      '--set',
      `quotes.rerequest_port=${v.rerequest}`,
      '--set',
      `trades.rerequest_port=${v.rerequest}`,
      '--set',
      `broker.port=${v.ouch}`,
    ]);
  } finally {
    v.child.kill('SIGTERM');
  }
  await cloud;
  const summary = (g: string) => JSON.parse(readFileSync(join(out(g), 'summary.json'), 'utf8')) as GroupRun;
  return { colo: summary('colo'), cloud: summary('cloud') };
}
