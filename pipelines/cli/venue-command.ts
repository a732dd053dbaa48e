/** `alpha venue flow`: the background order flow the venue plays, made from a dataset's day. */
import type { Command } from 'commander';

export function registerVenueCommand(program: Command): void {
  const venue = program.command('venue').description('The exchange the live graph trades against on loopback (native/colo).');
  venue
    .command('flow')
    .description(
      "Write a trading day of a dataset as background order flow (ITCH 5.0): the venue's book then follows its quotes and prints.",
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
          `as hidden prints; ${r.corrections} corrections left out) in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
      );
    });
}
