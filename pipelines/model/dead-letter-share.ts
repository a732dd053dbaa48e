/**
 * How much of the features run a model may be trained without: its dead letters as a share of the
 * events it replayed. Each one is a quote, a trade or a symbol's feature row the training set lacks;
 * past the limit the set no longer stands for the window, and training on it would only hide that.
 */
import { AlphaError } from '../../lib/core/errors.ts';

/** One dead letter in a hundred events: a few bad prints pass, a damaged window does not. */
export const DEFAULT_MAX_DEAD_LETTERS = 0.01;

export interface FeaturesRunCounts {
  events: number;
  dead_letters: number;
  /** `NODE: reason` → count, as summary.json gives them. */
  dead_letter_reasons: Record<string, number>;
}

/**
 * Refuses a features run whose dead letters exceed `limit` of its events, naming the commonest
 * reasons. A limit of 1 lets any run train: a node may refuse more records than the sources delivered
 * (a symbol's feature row at each snapshot, say), so the share itself can pass 1.
 */
export function refuseDeadLetters(run: FeaturesRunCounts, limit: number, file: string): void {
  if (limit >= 1 || run.dead_letters === 0 || run.dead_letters <= limit * run.events) return;
  const reasons = Object.entries(run.dead_letter_reasons)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, 3)
    .map(([reason, n]) => `${count(n)} "${reason}"`)
    .join(', ');
  throw new AlphaError(
    `the features run wrote ${count(run.dead_letters)} dead letters over its ${count(run.events)} events ` +
      `(${percent(run.dead_letters / Math.max(run.events, 1))}, above --max-dead-letters ${plain(limit)}: ${percent(limit)}); ` +
      `most for ${reasons}; see ${file}: repair the data, or raise --max-dead-letters (up to 1: any share) to train on what is left`,
  );
}

export const count = (n: number): string => n.toLocaleString('en-US');

/** A number in digits, never in exponent form (1e-9 as 0.000000001). */
const plain = (x: number): string => x.toLocaleString('en-US', { maximumSignificantDigits: 21, useGrouping: false });

/** A share as a percentage: two significant digits under 10%, whole ones above, no exponent. */
function percent(x: number): string {
  const p = 100 * x;
  return `${p >= 10 || p === 0 ? Math.round(p).toLocaleString('en-US') : p.toLocaleString('en-US', { minimumSignificantDigits: 2, maximumSignificantDigits: 2 })}%`;
}
