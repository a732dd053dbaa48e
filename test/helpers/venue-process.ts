/**
 * The venue executable (native/colo/build/colo_venue, built by native/colo/build.sh) as a child process
 * for live tests: a simulated ITCH session as its background flow, played as fast as possible, its
 * ready line parsed, its audit trail read back as JSON lines, stopped with SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { colo, type ItchFeed } from '../../native/colo/index.ts';

export const VENUE_BIN = fileURLToPath(new URL('../../native/colo/build/colo_venue', import.meta.url));

export interface VenueProcess {
  readonly ouchPort: number;
  readonly rerequestPort: number;
  readonly session: string;
  /** When its day opens (09:30) on the wall clock, as its ready line says (at a --speed above 0). */
  readonly openAt: string | undefined;
  readonly auditPath: string;
  /** The audit trail so far, one object per line. */
  audit(): AuditLine[];
  /** SIGTERM (End of Session, the audit flushed); resolves on exit. */
  stop(): Promise<void>;
  /** SIGKILL: the venue dies at once (no End of Session, no logout). */
  kill(): void;
}

/** One line of the venue's audit trail (native/colo/README.md, Venue). */
export interface AuditLine {
  dir: 'in' | 'out' | 'event' | 'note';
  proto?: 'ouch' | 'itch';
  session?: string | null;
  seq?: number;
  type?: string | null;
  name?: string;
  fields?: Record<string, string | number>;
  reason?: string;
  event?: string;
  [key: string]: unknown;
}

/**
 * Starts colo_venue in `dir` over a simulated session (`simulateItchSession(flow)`), with `users`
 * (name:password). Resolves once it printed its ready line.
 */
export async function startVenue(
  dir: string,
  options: {
    users: readonly string[];
    flow?: { messages: number; symbols: number; seed: number };
    /** A flow file to play instead of a simulated session. */
    flowPath?: string;
    args?: readonly string[];
  },
): Promise<VenueProcess> {
  if (!existsSync(VENUE_BIN)) throw new Error(`${VENUE_BIN} is missing: run bash native/colo/build.sh`);
  const flowPath = options.flowPath ?? join(dir, 'flow.itch');
  const auditPath = join(dir, 'audit.jsonl');
  if (!options.flowPath) writeFileSync(flowPath, colo().simulateItchSession(options.flow ?? { messages: 2000, symbols: 3, seed: 1 }));
  const child: ChildProcess = spawn(
    VENUE_BIN,
    [
      '--flow',
      flowPath,
      ...(options.args?.includes('--speed') ? [] : ['--speed', '0']),
      '--users',
      options.users.join(','),
      '--audit',
      auditPath,
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ ouch_port: number; rerequest_port: number; session: string; open_at?: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`colo_venue printed no ready line in 5 s; stderr: ${stderr}`)), 5000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"ready"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`colo_venue exited ${code}: ${stderr}`));
    });
  });
  return {
    ouchPort: ready.ouch_port,
    rerequestPort: ready.rerequest_port,
    session: ready.session,
    openAt: ready.open_at,
    auditPath,
    // The venue may be writing its next line: only the lines it has ended are read.
    audit: () =>
      existsSync(auditPath)
        ? completeLines(readFileSync(auditPath, 'utf8'))
            .filter((l) => l.trim() !== '')
            .map((l) => JSON.parse(l) as AuditLine)
        : [],
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** The venue's top of book per symbol once its flow is played: an ItchFeed joined to it, drained until quiet. */
export async function venueTops(
  venue: VenueProcess,
): Promise<Map<string, { bid: number | null; ask: number | null; bidSize: number; askSize: number }>> {
  const feed: ItchFeed = new (colo().ItchFeed)({ rerequestPort: venue.rerequestPort });
  try {
    const last = new Map<number, { bid: number | null; ask: number | null; bidSize: number; askSize: number }>();
    let quiet = 0;
    let delivered = -1;
    while (quiet < 10) {
      await sleep(20);
      const { quotes: q } = feed.take();
      for (let i = 0; i < q.locate.length; i++) {
        last.set(q.locate[i]!, {
          bid: Number.isNaN(q.bid[i]!) ? null : q.bid[i]!,
          ask: Number.isNaN(q.ask[i]!) ? null : q.ask[i]!,
          bidSize: q.bid_size[i]!,
          askSize: q.ask_size[i]!,
        });
      }
      const s = feed.stats();
      quiet = s.delivered === delivered && s.delivered > 0 ? quiet + 1 : 0;
      delivered = s.delivered;
    }
    const symbols = feed.symbols();
    return new Map([...last].map(([locate, top]) => [symbols[locate]!, top]));
  } finally {
    feed.close();
  }
}

/** A venue playing a generated dataset's first day: its date, symbols and data folder with it. */
export interface VenueDay {
  venue: VenueProcess;
  date: string;
  symbols: string[];
  data: string;
}

/**
 * Generates a dataset of `days` (default 1) in DIR/data (`symbols`, `seed`), writes its last day as
 * background flow and starts colo_venue playing it with `users` and `args` (a --speed, dropped packets…).
 */
export async function startVenueDay(
  dir: string,
  options: { symbols: number; seed: number; users: readonly string[]; args: readonly string[]; days?: number },
): Promise<VenueDay> {
  const [{ generateDataset }, { readManifest }, { writeBackgroundFlow }] = await Promise.all([
    import('../../pipelines/data/generate.ts'),
    import('../../pipelines/data/manifest.ts'),
    import('../../pipelines/venue/flow.ts'),
  ]);
  const data = join(dir, 'data');
  await generateDataset({ out: data, symbols: options.symbols, days: options.days ?? 1, seed: options.seed });
  const manifest = readManifest(data);
  // The venue plays the last day; the days before it are history (a live run's warm start).
  const date = manifest.dates.at(-1)!;
  const flowPath = join(dir, 'flow.itch');
  await writeBackgroundFlow({ data, date, out: flowPath });
  const venue = await startVenue(dir, { users: options.users, flowPath, args: options.args });
  return { venue, date, symbols: manifest.universe.map((u) => u.symbol), data };
}

/** `--set`s that point a live example's feed sources (`quotes`, `trades`) and order entry (`broker`) at `venue`. */
export function venueSets(venue: VenueProcess): string[] {
  return [
    '--set',
    `quotes.rerequest_port=${venue.rerequestPort}`,
    '--set',
    `trades.rerequest_port=${venue.rerequestPort}`,
    '--set',
    `broker.port=${venue.ouchPort}`,
  ];
}

/**
 * The arguments of `alpha live examples/live-venue.yaml` trading against a venue's day (startVenueDay)
 * at `speed`, into `out`; `more` go before the venue's ports.
 */
export function liveVenueArgs(
  day: { venue: VenueProcess; date: string; data: string },
  speed: number,
  out: string,
  ...more: string[]
): string[] {
  return [
    'live',
    'examples/live-venue.yaml',
    '--data',
    day.data,
    '--date',
    day.date,
    '--speed',
    String(speed),
    '--out',
    out,
    ...more,
    ...venueSets(day.venue),
  ];
}

/**
 * A live graph for risk tests against `venue`: `source.itch` quotes of `date` → `trader` (a test
 * operator type) → `risk.pretrade` (its `pretrade` params, YAML flow) → `execution.ouch` logged in as
 * `username` (password `pw`) → accounting; `extra` adds node lines (probes, sinks).
 */
export function liveRiskYaml(o: {
  name: string;
  trader: string;
  pretrade: string;
  username: string;
  venue: VenueProcess;
  date: string;
  extra: string;
}): string {
  return `
name: ${o.name}
nodes:
  - { name: quotes, type: source.itch, params: { rerequest_port: ${o.venue.rerequestPort}, date: '${o.date}' } }
  - { name: trader, type: ${o.trader}, inputs: { quotes: quotes } }
  - name: pretrade
    type: risk.pretrade
    inputs: { orders: trader, quotes: quotes, portfolio: accounting, fills: venue }
    params: ${o.pretrade}
  - { name: venue, type: execution.ouch, params: { port: ${o.venue.ouchPort}, username: ${o.username}, password: pw }, inputs: { orders: pretrade } }
  - { name: accounting, type: portfolio.accounting, inputs: { fills: venue, quotes: quotes }, params: { initial_cash: 1000000 } }
${o.extra}`;
}

/** Per order id, from `session`'s OUCH audit trail: the Cancel Orders the venue took in and the Canceled answers it sent. */
export function venueCancels(venue: VenueProcess, session: string, ids: readonly string[]): Record<string, { in: number; out: number }> {
  const audit = venue.audit().filter((l) => l.proto === 'ouch' && l.session === session);
  const count = (dir: string, type: string, token: string): number =>
    audit.filter((l) => l.dir === dir && l.type === type && l.fields?.['order_token'] === token).length;
  return Object.fromEntries(
    ids.map((id) => [id, { in: count('in', 'X', colo().ouchToken(id)), out: count('out', 'C', colo().ouchToken(id)) }]),
  );
}

/** Whether any message about order `id` reached the venue from `session`. */
export function reachedVenue(venue: VenueProcess, session: string, id: string): boolean {
  const token = colo().ouchToken(id);
  return venue.audit().some((l) => l.proto === 'ouch' && l.session === session && l.dir === 'in' && l.fields?.['order_token'] === token);
}

/** The lines of `text` that end in a newline (a line still being written is left out). */
function completeLines(text: string): string[] {
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n');
}
