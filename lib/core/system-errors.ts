/**
 * What a system error on a file means, and what to do: the machine ran out of something, not a bug
 * (1,100 idle connections to a live run's metrics once took its descriptors, and its outputs with
 * them; a full disk stopped a live run's capture). One table for the CLI's last word and for the
 * writers that name their file.
 */
const SYSTEM_ERRORS: Record<string, readonly [what: string, todo: string]> = {
  ENOSPC: ['the disk is full', 'free some space, or write elsewhere'],
  EDQUOT: ['the disk quota is used up', 'free some space, or write elsewhere'],
  EFBIG: ['the file would grow past what this process may write', 'raise its limit (ulimit -f), or write elsewhere'],
  EMFILE: ['this process has too many files open', 'raise its limit (ulimit -n)'],
  ENFILE: ['the system has too many files open', 'try again once other processes have closed theirs'],
  EROFS: ['the file system is read-only', 'write elsewhere'],
  EIO: ['the device reported an I/O error', 'check the disk'],
};

/**
 * A system error's code as one phrase, what ran out and what to do (`the disk is full (ENOSPC): free
 * some space, or write elsewhere`), or undefined for a code that is not one of the machine's limits.
 * @example
 * systemErrorText('ENOSPC'); // 'the disk is full (ENOSPC): free some space, or write elsewhere'
 */
export function systemErrorText(code: string | undefined): string | undefined {
  const known = code === undefined ? undefined : SYSTEM_ERRORS[code];
  return known && `${known[0]} (${code}): ${known[1]}`;
}

/**
 * Whether `err`, or an error it was caused by, is the disk running out of space (ENOSPC, EDQUOT): what
 * a failed run leaves is then removed rather than kept, so the space comes back.
 * @example
 * ranOutOfSpace(Object.assign(new Error('write'), { code: 'ENOSPC' })); // true
 * ranOutOfSpace(new Error('x', { cause: Object.assign(new Error('write'), { code: 'EDQUOT' }) })); // true
 */
export function ranOutOfSpace(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  }
  return false;
}
