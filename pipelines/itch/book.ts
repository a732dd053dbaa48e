/**
 * `alpha itch book FILE`: replays an ITCH 5.0 file through colo's native order book and reports,
 * per symbol, the final top of book, the traded volume and the messages by type.
 */
import { statSync } from 'node:fs';
import { AlphaError } from '../../lib/core/errors.ts';
import { colo, type ItchFile, type ItchSummary, type ItchSymbolSummary } from '../../native/colo/index.ts';
import { printable } from '../../lib/core/printable.ts';
import { afterEndWarning } from '../../operators/sdk/itch-feed.ts';

/**
 * A symbol (8 bytes of the file) fit for a terminal: control characters as \xNN (lib/core/printable.ts's
 * printable()), newline and tab too, so that a symbol cannot start a forged `alpha:` line.
 */
export function printableSymbol(symbol: string): string {
  return printable(symbol).replace(/[\n\t]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** ITCH timestamps count nanoseconds since midnight: every one of a day's is below this. */
export const ITCH_DAY_NS = 86_400e9;

/** Rows (top-of-book changes and prints) stamped at or after the day's end: how many, and the first. */
export interface PastDayEnd {
  count: number;
  /** 1-based number of the message that made the first such row, its locate and its timestamp (ns since midnight). */
  message: number;
  locate: number;
  tsNs: number;
}

export interface BookReport {
  readonly file: string;
  readonly bytes: number;
  readonly messages: number;
  readonly symbols: readonly ItchSymbolSummary[];
  readonly frameErrors: ItchSummary['frameErrors'];
  readonly bookErrors: ItchSummary['bookErrors'];
  /** Messages after End of Messages (System Event 'C'): counted, not applied to the book; null when none. */
  readonly afterEnd: ItchSummary['afterEnd'];
  /** Symbols asked for with --symbols that the file never names. */
  readonly missing: readonly string[];
  /** Top-of-book changes and prints stamped 24 h or more after midnight; null when none. */
  readonly pastDayEnd: PastDayEnd | null;
}

/** Counts the rows of `cols` stamped at or after the day's end into `late` (created at the first). */
export function scanPastDayEnd(
  cols: { ts_ns: Float64Array; locate: Uint16Array; message: Float64Array },
  late: PastDayEnd | null,
): PastDayEnd | null {
  let l = late;
  for (let i = 0; i < cols.ts_ns.length; i++) {
    const ts = cols.ts_ns[i]!;
    if (ts < ITCH_DAY_NS) continue;
    if (l === null) l = { count: 0, message: cols.message[i]!, locate: cols.locate[i]!, tsNs: ts };
    else if (cols.message[i]! < l.message) Object.assign(l, { message: cols.message[i]!, locate: cols.locate[i]!, tsNs: ts });
    l.count++;
  }
  return l;
}

/** Opens `file` as an ITCH file, or an AlphaError saying why not. */
export function openItchFile(file: string, symbols?: readonly string[]): ItchFile {
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch (err) {
    throw new AlphaError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (!isFile) throw new AlphaError(`${file}: not a file (expected an ITCH 5.0 file: 2-byte length before each message)`);
  const { ItchFile } = colo();
  try {
    return new ItchFile(file, symbols);
  } catch (err) {
    throw new AlphaError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function itchBook(file: string, symbols?: readonly string[]): Promise<BookReport> {
  const itch = openItchFile(file, symbols);
  // Stepped rather than run(): the rows' timestamps are what tells a file stamped past its day's end.
  let late: PastDayEnd | null = null;
  for (;;) {
    const step = itch.next(1 << 18);
    late = scanPastDayEnd(step.trades, scanPastDayEnd(step.quotes, late));
    if (step.done) break;
    // Let the event loop breathe between steps of a large file.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return reportOf(file, itch.summary(), symbols, late);
}

/** The report of a replayed file: its named symbols (those asked for), its errors, the symbols it lacks. */
export function reportOf(file: string, s: ItchSummary, symbols?: readonly string[], pastDayEnd: PastDayEnd | null = null): BookReport {
  const named = s.symbols.filter((x) => x.symbol !== '');
  const wanted = symbols ? new Set(symbols) : undefined;
  return {
    file,
    bytes: s.bytes,
    messages: s.messages,
    symbols: wanted ? named.filter((x) => wanted.has(x.symbol)) : named,
    frameErrors: s.frameErrors,
    bookErrors: s.bookErrors,
    afterEnd: s.afterEnd,
    missing: symbols ? symbols.filter((x) => !named.some((n) => n.symbol === x)) : [],
    pastDayEnd,
  };
}

const price = (x: number | null): string => (x === null ? '-' : x.toFixed(4));
const int = (x: number): string => x.toLocaleString('en-US');

/** ns since midnight as H:MM:SS.nnnnnnnnn (hours past 23 shown as they are). */
function clock(ns: number): string {
  const s = Math.floor(ns / 1e9);
  const frac = String(ns - s * 1e9).padStart(9, '0');
  const two = (x: number): string => String(x).padStart(2, '0');
  return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}.${frac}`;
}

/** The report as an aligned table, one symbol per row. */
export function formatBookTable(r: BookReport): string {
  const header = ['symbol', 'bid', 'ask', 'bid_size', 'ask_size', 'volume', 'trades', 'messages by type'];
  const rows = r.symbols.map((s) => [
    // A symbol is 8 bytes of the file: a newline or an escape sequence in it must not reach the terminal.
    printableSymbol(s.symbol),
    price(s.bid),
    price(s.ask),
    int(s.bidSize),
    int(s.askSize),
    int(s.volume),
    int(s.trades),
    Object.entries(s.messages)
      .map(([t, n]) => `${t}:${n}`)
      .join(' '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const late = r.afterEnd ? `, ${int(r.afterEnd.count)} after End of Messages (not applied)` : '';
  return [
    line(header),
    ...rows.map(line),
    '',
    `${int(r.messages)} messages${late}, ${int(r.bytes)} bytes, ${r.symbols.length} symbol(s)`,
  ].join('\n');
}

/** The rows a report found stamped at or after the day's end, as one line; undefined when none. */
export function pastDayEndProblem(r: BookReport): string | undefined {
  const late = r.pastDayEnd;
  if (late === null) return undefined;
  const symbol = r.symbols.find((s) => s.locate === late.locate)?.symbol;
  return (
    `${r.file}: ${int(late.count)} top-of-book change(s) and print(s) stamped 24 h or more after midnight ` +
    `(first: message ${int(late.message)}, ${symbol !== undefined ? printableSymbol(symbol) : `locate ${late.locate}`} at ${clock(late.tsNs)}): ` +
    'ITCH timestamps are ns since midnight, expected below 24:00:00.000000000'
  );
}

/** The messages a report found after End of Messages, as one line; undefined when none. */
export function afterEndProblem(r: BookReport): string | undefined {
  return r.afterEnd ? `${r.file}: ${afterEndWarning(r.afterEnd.count, `the first at byte ${int(r.afterEnd.firstOffset)}`)}` : undefined;
}

/** Problems a reader must see: damaged framing, book inconsistencies, messages after the day's end, symbols not found. */
export function problemsOf(r: BookReport): { errors: string[]; warnings: string[] } {
  const errors = r.frameErrors.map((e) => {
    const what = e.kind.startsWith('record runs past') ? 'nothing after it was read' : 'skipped by their length prefixes';
    return `${r.file}: ${int(e.count)} × ${e.kind} (first at byte ${int(e.firstOffset)}): ${what}, so the book may be incomplete`;
  });
  // An empty file is no ITCH session: an empty table with exit 0 would read as a file that was checked.
  if (r.messages === 0 && r.frameErrors.length === 0) {
    errors.push(`${r.file}: no ITCH message in it (${int(r.bytes)} bytes; expected an ITCH 5.0 file: 2-byte length before each message)`);
  }
  const late = pastDayEndProblem(r);
  if (late !== undefined) errors.push(late);
  for (const s of r.missing) errors.push(`--symbols: ${s} is not in ${r.file} (no directory entry or order names it)`);
  const warnings = r.bookErrors.map((e) => `${r.file}: ${int(e.count)} × ${e.kind} (counted and skipped)`);
  const afterEnd = afterEndProblem(r);
  if (afterEnd !== undefined) warnings.push(afterEnd);
  return { errors, warnings };
}
