/** `alpha itch book | convert | simulate`: ITCH 5.0 files through colo's native feed handler and book. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { AlphaError } from '../../lib/core/errors.ts';
import { whole } from './flag-values.ts';

/** The most messages `alpha itch simulate` writes (see --messages). */
export const MAX_SIMULATED_MESSAGES = 50_000_000;

export function registerItchCommand(program: Command): void {
  const itch = program
    .command('itch')
    .description('NASDAQ TotalView-ITCH 5.0 files (a 2-byte big-endian length before each message), through the native book.');

  itch
    .command('book')
    .description('Print, per symbol, the final top of book (dollars, shares), traded volume and messages by type.')
    .argument('<file>', 'ITCH 5.0 file')
    .option('--symbols <list>', 'only these symbols, comma-separated (e.g. AAPL,MSFT)')
    .option('--format <format>', 'table or json', 'table')
    .action(async (file: string, opts: { symbols?: string; format: string }) => {
      if (opts.format !== 'table' && opts.format !== 'json') throw new AlphaError(`--format is "${opts.format}": expected table or json`);
      const [{ parseSymbols }, { itchBook, formatBookTable, printableSymbol, problemsOf }, { printable }] = await Promise.all([
        import('../itch/symbols-option.ts'),
        import('../itch/book.ts'),
        import('../../lib/core/printable.ts'),
      ]);
      const report = await itchBook(file, parseSymbols(opts.symbols));
      const { errors, warnings } = problemsOf(report);
      if (opts.format === 'json') {
        // Symbols are bytes of the file: control characters in them as \xNN, as in the table (JSON leaves DEL and C1 raw).
        const symbols = report.symbols.map((s) => ({ ...s, symbol: printableSymbol(s.symbol) }));
        process.stdout.write(`${JSON.stringify({ ...report, file, symbols, ok: errors.length === 0 }, null, 2)}\n`);
      } else {
        process.stdout.write(`${formatBookTable(report)}\n`);
      }
      for (const w of warnings) process.stderr.write(printable(`alpha: warning: ${w}\n`));
      for (const e of errors) process.stderr.write(printable(`alpha: ${e}\n`));
      if (errors.length > 0) process.exitCode = 1;
    });

  itch
    .command('convert')
    .description('Write the quotes (top-of-book changes) and trades of an ITCH file as a dataset that `alpha backtest --data` replays.')
    .argument('<file>', 'ITCH 5.0 file')
    .requiredOption('--out <dir>', 'dataset folder to write')
    .option('--date <date>', 'session date YYYY-MM-DD (default: from a NASDAQ file name, MMDDYYYY…)')
    .option('--symbols <list>', 'only these symbols, comma-separated')
    .option('--overwrite', 'replace an existing non-empty --out whole (default: refuse it)')
    .action(async (file: string, opts: { out: string; date?: string; symbols?: string; overwrite?: boolean }) => {
      const started = Date.now();
      const [{ parseSymbols }, { convertItch }, { sessionDate }, { wroteLine }, { afterEndProblem }] = await Promise.all([
        import('../itch/symbols-option.ts'),
        import('../itch/convert.ts'),
        import('../itch/exchange-time.ts'),
        import('./report.ts'),
        import('../itch/book.ts'),
      ]);
      const symbols = parseSymbols(opts.symbols);
      const r = await convertItch(file, {
        out: opts.out,
        ...(opts.date !== undefined ? { date: sessionDate('--date', opts.date) } : {}),
        ...(symbols ? { symbols } : {}),
        ...(opts.overwrite ? { overwrite: true } : {}),
      });
      for (const e of r.report.bookErrors) process.stderr.write(`alpha: warning: ${file}: ${e.count} × ${e.kind} (counted and skipped)\n`);
      const late = afterEndProblem(r.report);
      if (late !== undefined) process.stderr.write(`alpha: warning: ${late}\n`);
      if (r.leftOut.length > 0)
        process.stderr.write(
          `alpha: warning: ${r.leftOut.length} symbol(s) a dataset cannot name left out, their rows with them; the first: ${r.leftOut[0]!.problem}\n`,
        );
      process.stderr.write(
        `converted ${r.report.messages.toLocaleString('en-US')} messages of ${r.date}: ${r.quotes.toLocaleString('en-US')} quotes, ` +
          `${r.trades.toLocaleString('en-US')} trades, ${r.symbols} symbol(s); ${r.skippedTops.toLocaleString('en-US')} one-sided, crossed or stub tops not written` +
          `${r.skippedPrints > 0 ? `, ${r.skippedPrints.toLocaleString('en-US')} prints without a price or shares not written` : ''}; ` +
          `${((Date.now() - started) / 1000).toFixed(1)}s\n${wroteLine(opts.out)}\n`,
      );
    });

  itch
    .command('simulate')
    .description('Write a synthetic ITCH 5.0 session (directory, then order flow over random walks): for trying the commands above.')
    .requiredOption('--out <file>', 'file to write')
    // The session is built in memory and written in one call, which Node caps at 2 GiB: at about 32
    // bytes a message, 50,000,000 make 1.6 GB (1.6 GB peak RSS, 10 s); 100,000,000 failed after a minute.
    .option(
      '--messages <n>',
      'order-flow messages, up to 50,000,000 (about 32 bytes each, built in memory)',
      whole('--messages', 1, MAX_SIMULATED_MESSAGES),
      1_000_000,
    )
    .option('--symbols <n>', 'symbols (S0001, S0002, …)', whole('--symbols', 1, 9999), 20)
    .option('--seed <n>', 'random seed', whole('--seed', 0, Number.MAX_SAFE_INTEGER), 1)
    .option('--overwrite', 'replace --out if it exists')
    .action(async (opts: { out: string; messages: number; symbols: number; seed: number; overwrite?: boolean }) => {
      if (existsSync(opts.out) && !opts.overwrite) throw new AlphaError(`--out ${opts.out} exists: pass --overwrite to replace it`);
      const { colo } = await import('../../native/colo/index.ts');
      const bytes = colo().simulateItchSession({ messages: opts.messages, symbols: opts.symbols, seed: opts.seed });
      const { writeFileAtomically } = await import('../io/write-file.ts');
      writeFileAtomically('--out', opts.out, bytes);
      process.stderr.write(`wrote ${opts.out}: ${bytes.length.toLocaleString('en-US')} bytes\n`);
    });
}
