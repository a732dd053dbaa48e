/**
 * `alpha venue start`: runs the venue (native/colo/build/colo_venue) in the foreground. Its flow is
 * an ITCH file, or a dataset's day made into one (`--data DIR --date DATE`, as `alpha venue flow`).
 * The venue's ready line ({"ready":true,"ouch_port":…,"rerequest_port":…,"session":…}) goes to
 * stdout; SIGINT and SIGTERM are passed on (End of Session, audit flushed).
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AlphaError } from '../../lib/core/errors.ts';
import { fileKind } from '../../lib/io/file-kind.ts';
import { writeBackgroundFlow } from './flow.ts';
import { removedOnSignal } from '../../lib/core/on-signal.ts';

export const VENUE_BINARY = fileURLToPath(new URL('../../native/colo/build/colo_venue', import.meta.url));

export interface VenueOptions {
  readonly flow?: string;
  readonly data?: string;
  readonly date?: string;
  /** The audit trail's file (JSON lines), written by the venue. */
  readonly audit?: string;
  /** Replace an audit file that exists. */
  readonly overwrite?: boolean;
  /** Flags passed to colo_venue as they are (--speed, --ouch-port, …). */
  readonly venueArgs: readonly string[];
}

/** The flow must be a regular file: the venue maps it (a folder gave "No such device", a FIFO hung). */
function checkFlow(flow: string): void {
  const st = statSync(flow, { throwIfNoEntry: false });
  if (!st) throw new AlphaError(`--flow ${flow}: no such file; expected an ITCH 5.0 file (alpha venue flow, alpha itch simulate)`);
  if (!st.isFile()) throw new AlphaError(`--flow ${flow}: is ${fileKind(st)}, not a regular file; expected an ITCH 5.0 file`);
}

/**
 * The audit trail is a new file, or with --overwrite a regular file to replace; never the flow (the
 * venue truncated its own input and died of SIGBUS), a link it would write through, or a FIFO it
 * would wait on for ever.
 */
function checkAudit(audit: string, flow: string | undefined, overwrite: boolean): void {
  if (audit.trim() === '') throw new AlphaError('--audit is empty: expected the file to write the audit trail to');
  const st = lstatSync(audit, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isFile())
    throw new AlphaError(`--audit ${audit}: exists and is ${fileKind(st)}: expected a new file, or a regular file to replace`);
  const flowSt = flow === undefined ? undefined : statSync(flow);
  if (flowSt && flowSt.dev === st.dev && flowSt.ino === st.ino)
    throw new AlphaError(`--audit ${audit}: is the flow file (--flow): expected another file for the audit trail`);
  if (!overwrite) throw new AlphaError(`--audit ${audit}: exists: give --overwrite to replace it, or another file`);
}

/** Runs the venue until it exits; resolves with its exit code. */
export async function startVenue(o: VenueOptions): Promise<number> {
  if (!existsSync(VENUE_BINARY)) {
    throw new AlphaError(`the venue is not built: ${VENUE_BINARY} is missing; run \`npm run build:native\` (native/colo/build.sh)`);
  }
  if ((o.flow === undefined) === (o.data === undefined)) {
    throw new AlphaError('give the flow as --flow FILE (an ITCH file) or as --data DIR --date DATE (a dataset day)');
  }
  if (o.data === undefined && o.date !== undefined)
    throw new AlphaError('--date goes with --data (the dataset day to play); a --flow file plays the day it holds');
  if (o.data !== undefined && o.date === undefined) throw new AlphaError('--data needs --date DATE: the trading day to play');
  if (o.flow !== undefined) checkFlow(o.flow);
  if (o.audit !== undefined) checkAudit(o.audit, o.flow, o.overwrite === true);
  let scratch: string | undefined;
  let forget = (): void => {};
  try {
    let flow = o.flow!;
    if (o.data !== undefined) {
      scratch = mkdtempSync(join(tmpdir(), 'alpha-venue-'));
      forget = removedOnSignal(scratch);
      flow = join(scratch, 'flow.itch');
      await writeBackgroundFlow({ data: o.data, date: o.date!, out: flow });
    }
    const args = ['--flow', flow, ...(o.audit === undefined ? [] : ['--audit', o.audit]), ...o.venueArgs];
    // The venue ends with this process, even one killed outright (SIGKILL): it would play on for hours, holding its ports.
    const child = spawn(VENUE_BINARY, [...args, '--parent-pid', String(process.pid)], { stdio: 'inherit' });
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
        // SIGINT and SIGTERM, passed on, end the session and exit 0; a signal that ended the venue itself
        // (SIGKILL, a crash) ended the session without its End of Session: said, not an exit 1 alone.
        if (signal)
          reject(
            new AlphaError(
              `the venue (${VENUE_BINARY}, pid ${child.pid}) was ended by ${signal}: its session stopped without an End of Session`,
            ),
          );
        else resolve(code ?? 0);
      });
    });
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    forget();
  }
}
