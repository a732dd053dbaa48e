/**
 * `alpha venue start`: runs the venue (native/colo/build/colo_venue) in the foreground. Its flow is
 * an ITCH file, or a dataset's day made into one (`--data DIR --date DATE`, as `alpha venue flow`).
 * The venue's ready line ({"ready":true,"ouch_port":…,"rerequest_port":…,"session":…}) goes to
 * stdout; SIGINT and SIGTERM are passed on (End of Session, audit flushed).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AlphaError } from '../../lib/core/errors.ts';
import { writeBackgroundFlow } from './flow.ts';

export const VENUE_BINARY = fileURLToPath(new URL('../../native/colo/build/colo_venue', import.meta.url));

export interface VenueOptions {
  readonly flow?: string;
  readonly data?: string;
  readonly date?: string;
  /** Flags passed to colo_venue as they are (--speed, --ouch-port, …). */
  readonly venueArgs: readonly string[];
}

/** Runs the venue until it exits; resolves with its exit code. */
export async function startVenue(o: VenueOptions): Promise<number> {
  if (!existsSync(VENUE_BINARY)) {
    throw new AlphaError(`the venue is not built: ${VENUE_BINARY} is missing; run \`npm run build:native\` (native/colo/build.sh)`);
  }
  if ((o.flow === undefined) === (o.data === undefined)) {
    throw new AlphaError('give the flow as --flow FILE (an ITCH file) or as --data DIR --date DATE (a dataset day)');
  }
  let scratch: string | undefined;
  let flow = o.flow!;
  if (o.data !== undefined) {
    if (o.date === undefined) throw new AlphaError('--data needs --date DATE: the trading day to play');
    scratch = mkdtempSync(join(tmpdir(), 'alpha-venue-'));
    flow = join(scratch, 'flow.itch');
    await writeBackgroundFlow({ data: o.data, date: o.date, out: flow });
  }
  try {
    const child = spawn(VENUE_BINARY, ['--flow', flow, ...o.venueArgs], { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    return await new Promise<number>((resolve, reject) => {
      child.on('error', (err) => reject(new AlphaError(`cannot start ${VENUE_BINARY}: ${err.message}`)));
      child.on('exit', (code, signal) => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        resolve(code ?? (signal ? 1 : 0));
      });
    });
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}
