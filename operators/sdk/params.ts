/**
 * Parameter shapes several operators share. A list of windows or horizons sizes per-symbol state and
 * output columns, so it is bounded and its entries distinct (a repeated window is a repeated column).
 */
import { z } from 'zod';

/** The most windows (or horizons) one feature operator takes. */
export const MAX_WINDOWS = 32;

/** A list of 1…MAX_WINDOWS distinct whole numbers of bars, each from `min` to `max`. */
export function barCounts(min: number, max: number) {
  return z
    .array(z.number().int().min(min).max(max))
    .min(1)
    .max(MAX_WINDOWS)
    .refine((xs) => new Set(xs).size === xs.length, { message: 'has an entry twice; each must differ' });
}
