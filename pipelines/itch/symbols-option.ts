/** `--symbols A,B,C` of the `alpha itch` commands: ITCH stock symbols (1–8 printable characters). */
import { AlphaError } from '../../lib/core/errors.ts';

const SYMBOL = /^[A-Za-z0-9.\-+=^/*#$@!]{1,8}$/;

export function parseSymbols(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const symbols = value.split(',').map((s) => s.trim());
  for (const s of symbols) {
    if (!SYMBOL.test(s)) {
      throw new AlphaError(
        `--symbols: "${s}" is not an ITCH stock symbol: expected 1 to 8 letters, digits or .-+=^/*#$@! (e.g. --symbols AAPL,MSFT)`,
      );
    }
  }
  return [...new Set(symbols)];
}
