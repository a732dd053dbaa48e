/** `alpha venue start | flow`: the venue on loopback, and the background order flow it plays. */
import type { Command } from 'commander';
import { AlphaError } from '../../lib/core/errors.ts';

export function registerVenueCommand(program: Command): void {
  const venue = program.command('venue').description('The exchange the live graph trades against on loopback (native/colo).');
  venue
    .command('start')
    .description(
      'Run the venue in the foreground: ITCH 5.0 over MoldUDP64 and OUCH 4.2 over SoupBinTCP on 127.0.0.1, playing a background flow; prints a ready line with its ports.',
    )
    .option('--flow <file>', 'background flow: an ITCH 5.0 file (alpha venue flow, alpha itch simulate)')
    .option('--data <dir>', 'or make the flow from this dataset…')
    .option('--date <date>', '…of this trading day')
    .option('--speed <x>', 'flow time per real time (1 real time, 60 a minute a second, 0 as fast as possible)')
    .option(
      '--open-at <time>',
      "the wall instant the day's open (09:30) is played at, shared with alpha live --open-at (µs since the epoch or YYYY-MM-DDTHH:MM:SS[.ffffff]Z; default: the flow starts at once; the ready line says when it opens)",
    )
    .option('--ouch-port <n>', 'OUCH TCP port (0: any free)')
    .option('--rerequest-port <n>', 'MoldUDP64 join and re-request UDP port (0: any free)')
    .option('--users <list>', 'SoupBinTCP users name:password,… (default alpha:alpha)')
    .option('--session <name>', 'session name, 1..10 letters and digits')
    .option('--drop <seqs>', 'MoldUDP64 sequences whose packets are not sent (gap tests)')
    .option('--audit <file>', 'audit trail, JSON lines (a new file; an existing one only with --overwrite)')
    .option('--overwrite', 'replace an existing --audit file')
    .option('--exit-at-end', 'End of Session and exit once the flow is played and no client is connected')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const [{ startVenue }, { sessionDate }, { openAt }, { REGULAR_CLOSE, REGULAR_OPEN }] = await Promise.all([
        import('../venue/start.ts'),
        import('../itch/exchange-time.ts'),
        import('./flag-values.ts'),
        import('../../lib/core/exchange-time.ts'),
      ]);
      const pass: [string, string][] = [
        ['speed', '--speed'],
        ['ouchPort', '--ouch-port'],
        ['rerequestPort', '--rerequest-port'],
        ['users', '--users'],
        ['session', '--session'],
        ['drop', '--drop'],
      ];
      const venueArgs = pass.flatMap(([key, flag]) => (typeof opts[key] === 'string' ? [flag, opts[key] as string] : []));
      if (opts['exitAtEnd']) venueArgs.push('--exit-at-end');
      if (typeof opts['openAt'] === 'string') {
        // Checked before the flow is made (seconds for a dataset's day); the venue checks the spelling of --speed.
        const speedText = typeof opts['speed'] === 'string' ? opts['speed'] : '1';
        const speed = /^(\d+\.?\d*|\.\d+)$/.test(speedText) ? Number(speedText) : undefined;
        if (speed === 0) throw new AlphaError('--open-at needs a clock: a --speed above 0 (0 plays the flow as fast as possible)');
        const at = openAt(opts['openAt']);
        if (speed !== undefined && at + (REGULAR_CLOSE - REGULAR_OPEN) / speed <= Date.now() * 1000)
          throw new AlphaError(
            `--open-at ${opts['openAt']}: at --speed ${speedText} the day's regular session (09:30 to 16:00) would be over before the venue starts: expected a later --open-at, or none for the open at the start`,
          );
        // In ns for colo_venue: past 2^53, so not a Number.
        venueArgs.push('--open-at-ns', String(BigInt(at) * 1000n));
      }
      process.exitCode = await startVenue({
        ...(typeof opts['flow'] === 'string' ? { flow: opts['flow'] } : {}),
        ...(typeof opts['data'] === 'string' ? { data: opts['data'] } : {}),
        ...(typeof opts['date'] === 'string' ? { date: sessionDate('--date', opts['date']) } : {}),
        ...(typeof opts['audit'] === 'string' ? { audit: opts['audit'] } : {}),
        overwrite: opts['overwrite'] === true,
        venueArgs,
      });
    });
  venue
    .command('flow')
    .description(
      "Write a trading day of a dataset as background order flow (ITCH 5.0): the venue's book then follows its quotes and prints. Quote prices go on the venue's tick grid (whole cents from $1.00: a sub-penny bid down, an ask up), counted.",
    )
    .requiredOption('--data <dir>', 'dataset folder (manifest.json)')
    .requiredOption('--date <date>', 'trading day YYYY-MM-DD')
    .requiredOption('--out <file>', 'ITCH file to write')
    .option('--symbols <list>', 'only these symbols, comma-separated')
    .option('--overwrite', 'replace --out if it exists')
    .action(async (opts: { data: string; date: string; out: string; symbols?: string; overwrite?: boolean }) => {
      const started = Date.now();
      const [{ writeBackgroundFlow }, { sessionDate }, { parseSymbols }] = await Promise.all([
        import('../venue/flow.ts'),
        import('../itch/exchange-time.ts'),
        import('../itch/symbols-option.ts'),
      ]);
      const symbols = parseSymbols(opts.symbols);
      const r = await writeBackgroundFlow({
        data: opts.data,
        date: sessionDate('--date', opts.date),
        out: opts.out,
        ...(symbols ? { symbols } : {}),
        ...(opts.overwrite ? { overwrite: true } : {}),
      });
      process.stderr.write(
        `wrote ${opts.out}: ${r.messages.toLocaleString('en-US')} ITCH messages from ${r.quotes.toLocaleString('en-US')} quotes and ` +
          `${r.trades.toLocaleString('en-US')} prints of ${r.symbols.length} symbol(s) (${r.hiddenPrints.toLocaleString('en-US')} away from the touch, ` +
          `as hidden prints; ${r.corrections} corrections left out; ${r.pricesMoved.toLocaleString('en-US')} sub-penny quote prices at or above $1.00 ` +
          `moved onto whole cents, bids down and asks up) in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
      );
    });
}
