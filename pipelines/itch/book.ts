/**
 * `alpha itch book FILE`: replays an ITCH 5.0 file through colo's native order book and reports,
 * per symbol, the final top of book, the traded volume and the messages by type.
 */
import { statSync } from 'node:fs';
import { AlphaError } from '../../lib/core/errors.ts';
import { colo, type ItchFile, type ItchSummary, type ItchSymbolSummary } from '../../native/colo/index.ts';

export interface BookReport {
  readonly file: string;
  readonly bytes: number;
  readonly messages: number;
  readonly symbols: readonly ItchSymbolSummary[];
  readonly frameErrors: ItchSummary['frameErrors'];
  readonly bookErrors: ItchSummary['bookErrors'];
  /** Symbols asked for with --symbols that the file never names. */
  readonly missing: readonly string[];
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
  await itch.run();
  return reportOf(file, itch.summary(), symbols);
}

/** The report of a replayed file: its named symbols (those asked for), its errors, the symbols it lacks. */
export function reportOf(file: string, s: ItchSummary, symbols?: readonly string[]): BookReport {
  const named = s.symbols.filter((x) => x.symbol !== '');
  const wanted = symbols ? new Set(symbols) : undefined;
  return {
    file,
    bytes: s.bytes,
    messages: s.messages,
    symbols: wanted ? named.filter((x) => wanted.has(x.symbol)) : named,
    frameErrors: s.frameErrors,
    bookErrors: s.bookErrors,
    missing: symbols ? symbols.filter((x) => !named.some((n) => n.symbol === x)) : [],
  };
}

const price = (x: number | null): string => (x === null ? '-' : x.toFixed(4));
const int = (x: number): string => x.toLocaleString('en-US');

/** The report as an aligned table, one symbol per row. */
export function formatBookTable(r: BookReport): string {
  const header = ['symbol', 'bid', 'ask', 'bid_size', 'ask_size', 'volume', 'trades', 'messages by type'];
  const rows = r.symbols.map((s) => [
    s.symbol,
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
  return [line(header), ...rows.map(line), '', `${int(r.messages)} messages, ${int(r.bytes)} bytes, ${r.symbols.length} symbol(s)`].join(
    '\n',
  );
}

/** Problems a reader must see: damaged framing, book inconsistencies, symbols not found. */
export function problemsOf(r: BookReport): { errors: string[]; warnings: string[] } {
  const errors = r.frameErrors.map((e) => {
    const what = e.kind.startsWith('record runs past') ? 'nothing after it was read' : 'skipped by their length prefixes';
    return `${r.file}: ${int(e.count)} × ${e.kind} (first at byte ${int(e.firstOffset)}): ${what}, so the book may be incomplete`;
  });
  // An empty file is no ITCH session: an empty table with exit 0 would read as a file that was checked.
  if (r.messages === 0 && r.frameErrors.length === 0) {
    errors.push(`${r.file}: no ITCH message in it (${int(r.bytes)} bytes; expected an ITCH 5.0 file: 2-byte length before each message)`);
  }
  for (const s of r.missing) errors.push(`--symbols: ${s} is not in ${r.file} (no directory entry or order names it)`);
  const warnings = r.bookErrors.map((e) => `${r.file}: ${int(e.count)} × ${e.kind} (counted and skipped)`);
  return { errors, warnings };
}
