/** The base of every error the product throws on purpose; each subclass sets `name`. */
export class AlphaError extends Error {
  override readonly name: string = 'AlphaError';
}

import { printableLine } from './printable.ts';

/** A data file that is missing, unreadable or not in the expected layout; its name is shown on one line (a path may hold a newline). */
export class DataError extends AlphaError {
  override readonly name = 'DataError';
  constructor(
    readonly file: string,
    /** What is wrong with the file, without its name. */
    readonly detail: string,
  ) {
    super(`${printableLine(file)}: ${detail}`);
  }
}
