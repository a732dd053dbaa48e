/**
 * The broker killed (SIGKILL) in the middle of a hybrid live run (examples/hybrid.yaml, the colo and
 * cloud groups as two processes against colo_venue): each process still ends at --seconds, in bounded
 * time, and fails honestly: exit 1 and one `alpha:` line naming what the broker did not take (the
 * offsets its Kafka input read, the records it wrote) and the broker's address; no summary.json (no
 * result that looks valid), while what needs no broker is done: the stop step ran and the capture is
 * complete and readable. On a broker of the test's own (killing the shared one would break the test
 * files running beside this one).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicAdmin } from '../../lib/io/kafka/admin.ts';
import { kafkaSettings } from '../../lib/io/kafka/settings.ts';
import { readCapture } from '../../pipelines/io/capture-log.ts';
import { startAlpha } from '../helpers/cli.ts';
import { privateBroker, type PrivateBroker } from '../helpers/private-broker.ts';
import { startVenueDay, type VenueProcess, venueSets } from '../helpers/venue-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-live-broker-killed-'));
let broker: PrivateBroker;
let venue: VenueProcess;
let data: string;
let date: string;

beforeAll(async () => {
  [broker, { venue, date, data }] = await Promise.all([
    privateBroker(),
    startVenueDay(dir, { symbols: 6, seed: 9, users: ['alpha:alpha'], args: ['--speed', '600'] }),
  ]);
}, 60_000);
afterAll(async () => {
  await venue?.stop();
  broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits until `topic` holds a record: the cloud group has read bars and sent targets back. */
async function untilWritten(topic: string, running: () => boolean): Promise<void> {
  const admin = await TopicAdmin.connect(kafkaSettings(broker.env));
  try {
    for (;;) {
      if (!running()) throw new Error('a group process ended before the broker was killed');
      const offsets = await admin.offsets(topic).catch(() => []);
      if (offsets.some((o) => o.high > 0)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.close();
  }
}

describe('alpha live --group with the broker killed mid-run', () => {
  it('each group ends at --seconds with exit 1 and one line saying what the broker did not take', async () => {
    const runId = `killed${process.pid}`;
    const group = (name: string) =>
      startAlpha(
        [
          'live',
          'examples/hybrid.yaml',
          '--group',
          name,
          '--run-id',
          runId,
          '--data',
          data,
          '--date',
          date,
          '--speed',
          '600',
          '--seconds',
          '14',
          '--out',
          join(dir, name),
          '--quiet',
          ...venueSets(venue),
        ],
        broker.env,
      );
    const colo = group('colo');
    const cloud = group('cloud');
    let ended = 0;
    void colo.exited.then(() => ended++);
    void cloud.exited.then(() => ended++);
    try {
      await untilWritten(`hybrid.sizing.${runId}`, () => ended === 0);
      broker.kill();
      // Bounded: a process still running 45 s after the kill has hung (the stop takes seconds).
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`still running 45 s after the kill:\n${colo.output.stderr}\n${cloud.output.stderr}`)),
          45_000,
        );
      });
      const runs = await Promise.race([Promise.all([colo.exited, cloud.exited]), hung]).finally(() => clearTimeout(timer));
      for (const [name, run] of [
        ['colo', runs[0]],
        ['cloud', runs[1]],
      ] as const) {
        expect(run.code, run.stderr).toBe(1);
        const lines = run.stderr.split('\n').filter((l) => l.startsWith('alpha:'));
        expect(lines, run.stderr).toHaveLength(1);
        // What was not done, where, and which broker: colo writes bars all the time (some were still
        // unacknowledged when the broker went); cloud had read bars (it sent targets) and could not
        // commit its last offsets.
        expect(lines[0]).toMatch(
          name === 'colo'
            ? new RegExp(`\\d+ record\\(s\\) to topic "hybrid\\.bars\\.${runId}" not acknowledged`)
            : new RegExp(`the offsets read from "hybrid\\.bars\\.${runId}" were not committed`),
        );
        expect(lines[0]).toContain(broker.brokers);
        expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
        expect(existsSync(join(dir, name, 'summary.json')), `${name}: no summary after a failed stop`).toBe(false);
        const capture = readCapture(join(dir, name, 'capture.alog'));
        expect(capture.ended).toBe(true);
        if (name === 'colo') expect(capture.arrivals.some((a) => a.kind === 'command' && a.command === 'stop')).toBe(true);
      }
    } finally {
      colo.child.kill('SIGKILL');
      cloud.child.kill('SIGKILL');
    }
  }, 90_000);
});
