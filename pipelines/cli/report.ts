/** What the CLI prints while and after a backtest runs. */
import { listFiles } from '../io/output-folder.ts';
import type { BacktestSummary } from '../runtime/backtest.ts';
import { COST_KINDS, type CostBreakdown } from '../runtime/cost-breakdown.ts';
import { EDGE_DEAD_LETTERS } from '../runtime/group/edges.ts';

export function progressPrinter(): (fraction: number, events: number) => void {
  return (fraction, events) => {
    const line = `  replaying… ${(fraction * 100).toFixed(0).padStart(3)}%  ${(events / 1e6).toFixed(2)}M events`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
  };
}

/**
 * The summary of a run: events/s over the drive loop (the summary's `wall_seconds`) and over the
 * whole process so far (start-up, loading, writing the outputs included).
 */
export function printSummary(s: BacktestSummary, outDir: string): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const rate = (perSec: number): string => `${Math.round(perSec).toLocaleString('en-US')} events/s`;
  const processSeconds = process.uptime();
  const lines = [
    `backtest "${s.topology}": ${s.days} days, ${s.events.toLocaleString('en-US')} events in ${s.wall_seconds.toFixed(1)}s drive, ` +
      `${processSeconds.toFixed(1)}s wall (${rate(s.events_per_sec)} drive, ${rate(s.events / processSeconds)} wall)`,
    `  orders ${s.orders}  fills ${s.fills}  fees ${s.fees.toFixed(0)}  turnover ${pct(s.turnover)}/day`,
    `  total return ${pct(s.total_return)}  sharpe ${s.sharpe.toFixed(2)}  max drawdown ${pct(s.max_drawdown)}`,
    ...(s.costs ? [costsLine(s.costs, s.gross_return, s.total_return)] : []),
    deadLettersLine(s),
    `  ${wroteLine(outDir)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The dead letters' count, its five most frequent reasons, and how many the file keeps when not all. */
function deadLettersLine(s: BacktestSummary): string {
  const reasons = Object.entries(s.dead_letter_reasons).sort((a, b) => b[1] - a[1]);
  const shown = reasons.slice(0, 5).map(([k, v]) => `${k}: ${v}`);
  if (reasons.length > shown.length) shown.push(`${reasons.length - shown.length} more reasons in summary.json`);
  // A group edge's dead letters are in its topic's .dlq, not in the file.
  const inFile = s.dead_letters - (s.dead_letter_reasons[EDGE_DEAD_LETTERS] ?? 0);
  const written =
    s.dead_letters_written < inFile ? `; dead_letters.jsonl keeps the first ${s.dead_letters_written.toLocaleString('en-US')}` : '';
  return `  dead letters ${s.dead_letters}${shown.length ? ` (${shown.join('; ')})` : ''}${written}`;
}

/** `gross G%  net N%  costs T (spread …, impact …, fee …, borrow …, financing …)`, from a broker's costs port. */
function costsLine(c: CostBreakdown, gross: number | undefined, net: number): string {
  const money = (x: number): string => Math.round(x).toLocaleString('en-US');
  const kinds = COST_KINDS.map((k) => `${k} ${money(c[k])}`).join(', ');
  const returns = gross === undefined ? '' : `gross ${(gross * 100).toFixed(2)}%  net ${(net * 100).toFixed(2)}%  `;
  return `  ${returns}costs ${money(c.total)} (${kinds})`;
}

/** `wrote OUT/: every file in it` (the folder was replaced whole, so that is exactly what the run wrote). */
export function wroteLine(outDir: string): string {
  return `wrote ${outDir.replace(/\/+$/, '')}/: ${listFiles(outDir).join(', ')}`;
}
