/**
 * `alpha live FILE`: the topology's live graph on the wall clock, captured as it runs
 * (pipelines/runtime/live.ts). Ctrl-C (or SIGTERM) stops it cleanly: sources stop, risk.pretrade
 * cancels the working orders at the venue, their answers arrive, sinks flush, the summary is written;
 * a second Ctrl-C exits at once.
 */
import type { Command } from 'commander';
import { isDate } from '../../lib/core/dates.ts';
import { AlphaError } from '../../lib/core/errors.ts';
import type { ListenAddress } from '../runtime/metrics-server.ts';
import { checkRunId, dataFolder, metricsAddress, openAt } from './flag-values.ts';
import { collect } from './replay-options.ts';

interface LiveCommandOptions {
  data?: string;
  out: string;
  set: string[];
  seconds?: string;
  date?: string;
  speed: string;
  openAt?: string;
  statusEvery: string;
  hot?: string;
  hotRetentionHours: string;
  warm?: string;
  group?: string;
  runId?: string;
  replica?: string;
  overwrite?: boolean;
  resume?: boolean;
  quiet?: boolean;
  metrics?: ListenAddress;
}

export function registerLiveCommand(program: Command): void {
  program
    .command('live')
    .description(
      'Run the live graph of a topology (its "live:" replacements applied) on the wall clock against live feeds and a venue; captures every arrival in OUT/capture.alog for `alpha backtest FILE --capture`.',
    )
    .argument('<file>', 'topology.yaml')
    .option('--data <dir>', 'dataset whose manifest gives the instruments (default: the topology\'s "data:")', dataFolder)
    .option('--out <dir>', 'output folder: capture.alog, summary.json, what the sinks write', 'out/live')
    .option('--set <NODE.PARAM=VALUE>', 'override one param of the live graph (repeatable)', collect, [])
    .option(
      '--date <date>',
      "the trading day: its session is the run's, and the run's clock reads its open when the run starts, or at --open-at (YYYY-MM-DD)",
    )
    .option('--speed <x>', 'with --date: the clock runs this many times faster than the wall (as the venue’s --speed)', '1')
    .option(
      '--open-at <time>',
      "with --date: the wall instant the day's open maps to, shared with the venue's --open-at (µs since the epoch or YYYY-MM-DDTHH:MM:SS[.ffffff]Z; default: when the run starts)",
    )
    .option(
      '--seconds <s>',
      "stop after this many seconds of wall time, from the open when the run's clock reads before it (an --open-at still to come, or a resumed run's) (default: when the sources end, or Ctrl-C)",
    )
    .option('--status-every <s>', 'print a status line every this many seconds (0: none; else from 0.1)', '5')
    .option(
      '--hot <url>',
      'also write what arrives, and the portfolio state, to the Redis hot tier at this redis:// URL (login from ALPHA_REDIS_USER / ALPHA_REDIS_PASSWORD)',
    )
    .option(
      '--warm <days>',
      'warm start: first replay this many trading days of the data folder before the session through the same graph (features, models and risk history ready; no order is decided meanwhile)',
    )
    .option('--group <name>', 'run one process group of the topology (its groups:), joined to the others by Kafka topics')
    .option('--run-id <id>', "with --group: suffix of the run's topics and consumer groups, the same for every group (default: live-DATE)")
    .option(
      '--replica <i>',
      'with --group: which replica of a replicated group (replicas: N) this process is, 0 … N-1; it takes the symbols that hash to it',
    )
    .option('--hot-retention-hours <h>', 'with --hot: hours of data time each stream keeps (at most 8,784)', '24')
    .option('--overwrite', 'replace an existing non-empty --out (default: refuse it)')
    .option(
      '--resume',
      "resume the run whose process died writing --out (kill -9, a crash): its capture is taken again to rebuild the graph's state, the order entry reconciles with the venue, then the run goes on (the same --date and --speed)",
    )
    .option(
      '--metrics <host:port>',
      "serve the run's metrics for Prometheus at http://HOST:PORT/metrics (a loopback IP address: 127.x.x.x, or [::1]; port 0: any free one, printed)",
      metricsAddress,
    )
    .option('--quiet', 'no status lines')
    .action(async (file: string, opts: LiveCommandOptions) => {
      const seconds = opts.seconds === undefined ? undefined : positive('--seconds', opts.seconds, false);
      const every = positive('--status-every', opts.statusEvery, true);
      if (every > 0 && every < MIN_STATUS_SECONDS)
        throw new AlphaError(
          `--status-every ${JSON.stringify(opts.statusEvery)}: expected 0 (no status lines) or at least ${MIN_STATUS_SECONDS} s`,
        );
      const speed = positive('--speed', opts.speed, false, 'a speed factor (1 the wall clock, 60 a minute a second)', 'at most 604,800');
      if (speed < MIN_SPEED)
        throw new AlphaError(
          `--speed ${JSON.stringify(opts.speed)}: expected a speed factor from ${MIN_SPEED} (as colo_venue's), at most 604,800`,
        );
      if (opts.date !== undefined && !isDate(opts.date))
        throw new AlphaError(`--date ${JSON.stringify(opts.date)}: expected a real date YYYY-MM-DD`);
      // A weekend has no session: alpha venue start refuses it too, and the run would wait for a market.
      const weekday = opts.date === undefined ? undefined : new Date(`${opts.date}T00:00:00Z`).getUTCDay();
      if (weekday === 0 || weekday === 6)
        throw new AlphaError(`--date ${opts.date} is a ${weekday === 6 ? 'Saturday' : 'Sunday'}, not a trading day: expected a weekday`);
      if (opts.date === undefined && speed !== 1)
        throw new AlphaError('--speed needs --date: the trading day whose session the faster clock runs through');
      if (opts.openAt !== undefined && opts.date === undefined)
        throw new AlphaError('--open-at needs --date: the trading day whose open it places on the wall clock');
      const openAtUs = opts.openAt === undefined ? undefined : openAt(opts.openAt);
      const warm = opts.warm === undefined ? undefined : wholeDays(opts.warm);
      if (opts.runId !== undefined && opts.group === undefined) throw new AlphaError('--run-id names a group run: give --group too');
      if (opts.replica !== undefined && opts.group === undefined)
        throw new AlphaError('--replica names a replica of a group: give --group too');
      if (opts.replica !== undefined && !/^\d{1,9}$/.test(opts.replica.trim()))
        throw new AlphaError(`--replica ${JSON.stringify(opts.replica)}: expected a replica index, a whole number from 0`);
      const runId = opts.runId ?? `live-${(opts.date ?? new Date().toISOString().slice(0, 10)).replaceAll('-', '')}`;
      checkRunId(runId);
      const { runLiveSession } = await import('../runtime/live.ts');
      const stop = new AbortController();
      const onSignal = (): void => {
        if (stop.signal.aborted) process.exit(130);
        process.stderr.write(
          'stopping: sources closed, cancelling working orders, waiting for the venue’s last answers (Ctrl-C again to exit at once)\n',
        );
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const s = await runLiveSession({
          topologyFile: file,
          sets: opts.set,
          outDir: opts.out,
          overwrite: opts.overwrite ?? false,
          ...(opts.resume ? { resume: true } : {}),
          ...(opts.data ? { dataDir: opts.data } : {}),
          ...(seconds !== undefined ? { seconds } : {}),
          ...(warm !== undefined ? { warm } : {}),
          ...(opts.group !== undefined
            ? { group: { name: opts.group, runId, ...(opts.replica !== undefined ? { replica: Number(opts.replica) } : {}) } }
            : {}),
          ...(opts.date !== undefined ? { date: opts.date, speed, ...(openAtUs !== undefined ? { openAt: openAtUs } : {}) } : {}),
          ...(opts.hot !== undefined
            ? {
                hot: {
                  url: opts.hot,
                  retentionHours: positive(
                    '--hot-retention-hours',
                    opts.hotRetentionHours,
                    false,
                    'a number of hours',
                    'at most 8,784 (a leap year)',
                    24 * 366,
                  ),
                },
              }
            : {}),
          ...(opts.metrics ? { metrics: opts.metrics, onMetrics: (url: string) => process.stderr.write(`metrics: ${url}\n`) } : {}),
          signal: stop.signal,
          statusSeconds: opts.quiet ? 0 : every,
          onStatus: (line) => process.stderr.write(`live ${line}\n`),
          log: { info: () => {}, warn: (m) => process.stderr.write(`${m}\n`) },
        });
        process.stdout.write(
          `live "${s.topology}": ${s.events.toLocaleString('en-US')} events in ${s.wall_seconds.toFixed(1)}s, ${s.orders} orders, ${s.fills} fills, ${s.dead_letters} dead letters\n` +
            (s.resumed
              ? `  resumed: ${s.resumed.arrivals.toLocaleString('en-US')} arrivals of the run that died taken again, ${s.resumed.duplicates.toLocaleString('en-US')} records the feed delivered again dropped\n`
              : '') +
            (s.warm_up
              ? `  warm-up: ${s.warm_up.events.toLocaleString('en-US')} records of ${s.warm_up.dates.join(', ')}, ${s.warm_up.held_decisions.toLocaleString('en-US')} decisions held back\n`
              : '') +
            `  captured ${s.captured} arrivals in ${s.capture}; replay: alpha backtest ${file} --capture ${s.capture} --out OUT\n`,
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

/** A count of trading days (its range is checked with the data: warm-start.ts). */
function wholeDays(value: string): number {
  if (!/^\d{1,4}$/.test(value.trim()))
    throw new AlphaError(`--warm ${JSON.stringify(value)}: expected a whole number of trading days, e.g. --warm 2`);
  return Number(value);
}

/** The shortest time between status lines: ten a second already scroll faster than anyone reads. */
const MIN_STATUS_SECONDS = 0.1;
/** The slowest --speed: colo_venue's lowest, the venue a live run at a speed trades against. */
const MIN_SPEED = 0.0001;

/** A plain decimal ('0x10', '1e3' and '' are not) > 0 (≥ 0 when `zeroOk`), at most `max` (said as `most`). */
function positive(
  flag: string,
  value: string,
  zeroOk: boolean,
  what = 'a number of seconds',
  most = 'at most a week',
  max = 86_400 * 7,
): number {
  const x = /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(x) || (!zeroOk && x === 0) || x > max)
    throw new AlphaError(`${flag} ${JSON.stringify(value)}: expected ${what} ${zeroOk ? '≥ 0' : '> 0'}, ${most}`);
  return x;
}

export function registerKillCommand(program: Command): void {
  program
    .command('kill')
    .description(
      'Halt a running alpha live by hand: its risk.pretrade nodes go HALTED (only a person releases that), cancel what is working and pass nothing more.',
    )
    .argument('<out>', 'the --out folder of the running alpha live')
    .option('--reason <text>', 'why, for the logs and the capture', 'alpha kill')
    .action(async (out: string, opts: { reason: string }) => {
      const { requestHalt } = await import('../runtime/live-control.ts');
      const pid = await requestHalt(out, opts.reason);
      process.stdout.write(`alpha kill: the live run writing ${out} (pid ${pid}) took the halt\n`);
    });
}
