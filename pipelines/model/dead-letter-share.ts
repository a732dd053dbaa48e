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

/** Refuses a features run whose dead letters exceed `limit` of its events, naming the commonest reasons. */
export function refuseDeadLetters(run: FeaturesRunCounts, limit: number, file: string): void {
  if (run.dead_letters === 0 || run.dead_letters <= limit * run.events) return;
  const reasons = Object.entries(run.dead_letter_reasons)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, 3)
    .map(([reason, n]) => `${count(n)} "${reason}"`)
    .join(', ');
  throw new AlphaError(
    `the features run refused ${count(run.dead_letters)} of its ${count(run.events)} events ` +
      `(${percent(run.dead_letters / Math.max(run.events, 1))}, above --max-dead-letters ${limit}: ${percent(limit)}); ` +
      `most for ${reasons}; see ${file}: repair the data, or raise --max-dead-letters to train on what is left`,
  );
}

const count = (n: number): string => n.toLocaleString('en-US');

function percent(x: number): string {
  const p = 100 * x;
  return `${p >= 10 || p === 0 ? p.toFixed(0) : p.toPrecision(2)}%`;
}
