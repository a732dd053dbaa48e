/**
 * `--symbol-map FILE`: a CSV with the header `from,to`, one source symbol per line and the symbol the
 * dataset gives it (e.g. an ITCH stock name or a vendor ticker → the house symbol). Symbols it does
 * not name are kept as they are.
 */
import { AlphaError } from '../../lib/core/errors.ts';
import { csvRecords } from './csv.ts';
import { symbolProblem } from './columns.ts';
import { readDataBytes } from '../../lib/io/data-file.ts';

export function readSymbolMap(file: string): Map<string, string> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readDataBytes(file));
  } catch (err) {
    throw new AlphaError(
      `--symbol-map ${file}: ${err instanceof AlphaError ? err.message.replace(`${file}: `, '') : 'not UTF-8 text'}: expected a CSV file from,to`,
    );
  }
  const map = new Map<string, string>();
  let header = true;
  for (const { line, fields } of csvRecords(text)) {
    const at = `--symbol-map ${file}:${line}`;
    if (!Array.isArray(fields)) throw new AlphaError(`${at}: ${fields.problem}`);
    if (header) {
      if (fields.length !== 2 || fields[0]!.trim().toLowerCase() !== 'from' || fields[1]!.trim().toLowerCase() !== 'to')
        throw new AlphaError(`${at}: the header is ${JSON.stringify(fields.join(','))}: expected from,to`);
      header = false;
      continue;
    }
    if (fields.length !== 2) throw new AlphaError(`${at}: ${fields.length} fields: expected 2 (from,to)`);
    const [from, to] = [fields[0]!.trim(), fields[1]!.trim()];
    if (from === '') throw new AlphaError(`${at}: empty source symbol: expected from,to`);
    const problem = symbolProblem(to);
    if (problem) throw new AlphaError(`${at}: ${problem}`);
    if (map.has(from)) throw new AlphaError(`${at}: ${JSON.stringify(from)} is mapped twice: expected each source symbol once`);
    map.set(from, to);
  }
  if (header) throw new AlphaError(`--symbol-map ${file}: empty: expected the header from,to and one line per symbol`);
  return map;
}
