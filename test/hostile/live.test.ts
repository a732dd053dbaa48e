/**
 * Hostile input to `alpha live` and `alpha backtest --capture`: each case is one `alpha:` line (or the
 * topology's located problems) and a non-zero exit, never a stack trace or a run that looks valid.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runAlpha } from '../helpers/cli.ts';
import { dataset } from '../helpers/datasets.ts';
import { type CapturedNode, CaptureWriter } from '../../pipelines/io/capture-log.ts';
import { registry } from '../../operators/index.ts';
import { resolveTopology } from '../../pipelines/runtime/backtest.ts';
import { capturedNodes } from '../../pipelines/runtime/drive-capture.ts';
import { writeHybridReplicas } from '../helpers/hybrid-replicas.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-hostile-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const full = join(dir, 'full');
mkdirSync(full);
writeFileSync(join(full, 'x.txt'), 'keep me');
const notCapture = join(dir, 'not.alog');
writeFileSync(notCapture, 'PAR1 not a capture at all');
// A well-formed capture of a group the topologies below do not have.
const otherGroup = join(dir, 'other-group.alog');
const w = new CaptureWriter(otherGroup, { start: 1, universe: [], sessions: [], nodes: [], group: 'edge' });
w.end(2);
w.close();
// Folders of live runs to resume: one that ended, one of another topology, one still written by a
// live process (this one), and runs of the example that ran a day at 600× (resumed without --date
// or at another speed).
const liveNodes = capturedNodes(resolveTopology('examples/live-venue.yaml', [], registry, 'live'));
/** A dead live run's folder: its capture (a universe of one symbol, as a run's data gives it: feature.cross-section refuses none). */
function liveFolder(name: string, nodes: CapturedNode[], end: boolean, extra: Record<string, unknown> = {}): string {
  const folder = join(dir, name);
  mkdirSync(folder);
  const c = new CaptureWriter(join(folder, 'capture.alog'), {
    start: 1,
    universe: [{ symbol: 'AAPL', sector: 'Tech' }],
    sessions: [{ open: 1, close: 2 }],
    nodes,
    ...extra,
  });
  c.wake(1);
  if (end) c.end(2);
  c.close();
  return folder;
}
const ended = liveFolder('ended', liveNodes, true);
const otherTopology = liveFolder('other-topology', [], false);
const stillRunning = liveFolder('running', liveNodes, false);
writeFileSync(join(stillRunning, 'live.pid'), `${process.pid}\n`);
const noVenue = liveFolder('no-venue', liveNodes, false, { topology_sha256: 'f'.repeat(64) });
const diedWarming = liveFolder('warming', liveNodes, false, {
  sessions: [
    { open: 1, close: 2 },
    { open: 3, close: 4 },
  ],
});
// A capture that is a link to a resumable capture elsewhere: a resume would append outside --out.
const linkedCapture = join(dir, 'linked');
mkdirSync(linkedCapture);
symlinkSync(join(noVenue, 'capture.alog'), join(linkedCapture, 'capture.alog'));
const atSpeed = liveFolder('at-speed', liveNodes, false, { time: { speed: 600, origin: 1, system: 1 } });
// A run of the example as it was before a param changed: its capture names another resolved topology.
const changedEnded = liveFolder('changed-ended', liveNodes, true, { topology_sha256: 'f'.repeat(64) });
// examples/hybrid.yaml with its bars group in two replicas (and a variant whose bars edge has 3
// partitions); a replica's capture replayed with another replica count; a replica resumed as another.
const replicated = writeHybridReplicas(dir);
const threePartitions = writeHybridReplicas(dir, { partitions: 3 });
const ofThree = join(dir, 'of-three.alog');
const w3 = new CaptureWriter(ofThree, { start: 1, universe: [], sessions: [], nodes: [], group: 'bars', replica: { index: 0, of: 3 } });
w3.end(2);
w3.close();
const wholeGroup = join(dir, 'whole-group.alog');
const w1 = new CaptureWriter(wholeGroup, { start: 1, universe: [], sessions: [], nodes: [], group: 'bars' });
w1.end(2);
w1.close();
const deadReplica = liveFolder('dead-replica', [], false, { group: 'bars', run_id: 'r1', replica: { index: 1, of: 2 } });
// The example's data: folder (data/sample) exists only after `npm start`; CI runs `npm test` alone.
let data = '';
beforeAll(async () => {
  data = await dataset({ symbols: 2, days: 1, seed: 5 });
}, 60_000);

describe('alpha live and alpha backtest --capture refuse', () => {
  it.each([
    [
      'a bad --seconds',
      ['live', 'examples/live-venue.yaml', '--seconds', 'soon'],
      /^alpha: --seconds "soon": expected a number of seconds > 0/m,
    ],
    ['zero --seconds', ['live', 'examples/live-venue.yaml', '--seconds', '0'], /^alpha: --seconds "0"/m],
    // --speed is a factor, not seconds; '0x10' was read as 16.
    [
      'a --speed in hex',
      ['live', 'examples/live-venue.yaml', '--date', '2024-01-02', '--speed', '0x10', '--out', join(dir, 'o-speed')],
      /^alpha: --speed "0x10": expected a speed factor \(1 the wall clock, 60 a minute a second\) > 0, at most 604,800$/m,
    ],
    ['--speed without --date', ['live', 'examples/live-venue.yaml', '--speed', '60'], /^alpha: --speed needs --date/m],
    ['--open-at without --date', ['live', 'examples/live-venue.yaml', '--open-at', '1'], /^alpha: --open-at needs --date/m],
    [
      'a --open-at that is no time',
      ['live', 'examples/live-venue.yaml', '--date', '2024-01-02', '--open-at', 'soon'],
      /^alpha: --open-at is "soon": expected µs since the epoch \(e\.g\. 1704205800000000\) or a UTC time/m,
    ],
    [
      'a --open-at more than a day from now',
      ['live', 'examples/live-venue.yaml', '--date', '2024-01-02', '--open-at', '2024-01-02T14:30:00Z'],
      /^alpha: --open-at 2024-01-02T14:30:00Z is 2024-01-02T14:30:00\.000000Z, more than a day from now \(.*\): expected the instant the session opens/m,
    ],
    [
      'a --open-at whose session is over at the start',
      [
        'live',
        'examples/live-venue.yaml',
        '--date',
        '2024-01-02',
        '--speed',
        '600',
        '--open-at',
        new Date(Date.now() - 3_600_000).toISOString(),
        '--out',
        join(dir, 'o-over'),
      ],
      /^alpha: --open-at .*Z: at --speed 600 the session of 2024-01-02 would be over before the run starts \(it reads .*, past its close\)/m,
    ],
    [
      'a --speed slower than the venue plays',
      ['live', 'examples/live-venue.yaml', '--date', '2024-01-02', '--speed', '0.00001', '--out', join(dir, 'o-slow')],
      /^alpha: --speed "0.00001": expected a speed factor from 0.0001 \(as colo_venue's\), at most 604,800$/m,
    ],
    // A status line every microsecond; hours of Redis retention read as if they were seconds (up to 69 years).
    [
      'a --status-every under a tenth of a second',
      ['live', 'examples/live-venue.yaml', '--status-every', '0.000001'],
      /^alpha: --status-every "0.000001": expected 0 \(no status lines\) or at least 0.1 s$/m,
    ],
    [
      'a --hot-retention-hours over a year',
      ['live', 'examples/live-venue.yaml', '--hot', 'redis://127.0.0.1:1', '--hot-retention-hours', '8785'],
      /^alpha: --hot-retention-hours "8785": expected a number of hours > 0, at most 8,784 \(a leap year\)$/m,
    ],
    [
      'a date that is not one',
      ['live', 'examples/live-venue.yaml', '--date', '2024-02-30'],
      /^alpha: --date "2024-02-30": expected a real date/m,
    ],
    ['a non-empty --out', ['live', 'examples/live-venue.yaml', '--out', full, '--seconds', '1'], /^alpha: --out .*not empty.*--overwrite/m],
    [
      'a bad live param',
      ['live', 'examples/live-venue.yaml', '--set', 'broker.port=0', '--out', join(dir, 'o1')],
      /^alpha: --set broker\.port=0 node "broker": param "port" is 0/m,
    ],
    [
      'a --date on a weekend (the venue refuses it too)',
      ['live', 'examples/live-venue.yaml', '--date', '2024-01-06', '--out', join(dir, 'o-weekend')],
      /^alpha: --date 2024-01-06 is a Saturday, not a trading day: expected a weekday$/m,
    ],
    [
      'a file that is not a capture',
      ['backtest', 'examples/live-venue.yaml', '--capture', notCapture, '--out', join(dir, 'o2')],
      /^alpha: .*not\.alog: no capture header/m,
    ],
    [
      'a capture that does not exist',
      ['backtest', 'examples/live-venue.yaml', '--capture', join(dir, 'missing.alog'), '--out', join(dir, 'o3')],
      /^alpha: .*cannot read the capture \(ENOENT\)/m,
    ],
    ['alpha kill on a folder no live run writes', ['kill', full], /^alpha: .*full: no live run is writing this folder \(no live\.pid\)/m],
    [
      '--hot with a login in the URL (never echoed: the login comes from the environment)',
      ['live', 'examples/live-venue.yaml', '--hot', 'redis://u:s3cr3tpw@127.0.0.1:6379', '--out', join(dir, 'o4')],
      /^alpha: alpha live --hot: "redis:\/\/\*\*\*@127\.0\.0\.1:6379": only redis:\/\/HOST:PORT/m,
    ],
    [
      '--hot on a port no Redis listens on',
      ['live', 'examples/live-venue.yaml', '--hot', 'redis://127.0.0.1:1', '--out', join(dir, 'o5')],
      /^alpha: alpha live --hot: cannot connect to Redis at 127\.0\.0\.1:1/m,
    ],
    [
      "a group's capture replayed with a topology without that group",
      ['backtest', 'examples/hybrid.yaml', '--capture', otherGroup, '--out', join(dir, 'o6')],
      /^alpha: .*other-group\.alog: the capture of group "edge": examples\/hybrid\.yaml has no group "edge" \(groups: colo, cloud\)/m,
    ],
    [
      "a group's capture replayed with a topology without groups",
      ['backtest', 'examples/live-venue.yaml', '--capture', otherGroup, '--out', join(dir, 'o7')],
      /^alpha: .*other-group\.alog: the capture of group "edge": examples\/live-venue\.yaml has no groups: \(replay it with the topology that ran the group\)/m,
    ],
    [
      '--resume of a folder with no capture',
      ['live', 'examples/live-venue.yaml', '--resume', '--out', full],
      /^alpha: --resume: .*full\/capture\.alog does not exist/m,
    ],
    [
      '--resume with --overwrite',
      ['live', 'examples/live-venue.yaml', '--resume', '--overwrite', '--out', ended],
      /^alpha: --resume with --overwrite/m,
    ],
    [
      '--resume with --warm',
      ['live', 'examples/live-venue.yaml', '--resume', '--warm', '1', '--out', ended],
      /^alpha: --resume with --warm/m,
    ],
    [
      '--resume --group of a one-process run',
      ['live', 'examples/hybrid.yaml', '--group', 'colo', '--resume', '--out', noVenue],
      /^alpha: --resume --group colo: .* is the capture of a one-process run: resume it without --group/m,
    ],
    [
      '--resume of a run that ended',
      ['live', 'examples/live-venue.yaml', '--resume', '--out', ended],
      /^alpha: --resume: .*ended: there is nothing to resume/m,
    ],
    [
      '--resume of a run of another topology',
      ['live', 'examples/live-venue.yaml', '--resume', '--out', otherTopology],
      /^alpha: .*capture\.alog: the capture was made by another topology/m,
    ],
    [
      '--resume of a folder a live run still writes',
      ['live', 'examples/live-venue.yaml', '--resume', '--out', stillRunning],
      /^alpha: --resume: a live run \(pid \d+\) is still writing/m,
    ],
    [
      '--resume of a run at a speed, without its --date',
      ['live', 'examples/live-venue.yaml', '--resume', '--out', atSpeed],
      /^alpha: --resume: the run of .* ran a trading day at 600×: give its --date and --speed again/m,
    ],
    [
      // Its capture names another resolved topology (a param changed since, or only the --set port here): said, then resumed.
      '--resume with no venue to reconcile with, of a run whose topology changed since',
      ['live', 'examples/live-venue.yaml', '--resume', '--out', noVenue, '--set', 'broker.port=1', '--seconds', '30'],
      /^--resume: the run of .*no-venue\/capture\.alog ran another topology than examples\/live-venue\.yaml resolves to now \(sha256 ffffffffffff… then, [0-9a-f]{12}… now: a node, a param or a --set differs, or an upgrade of alpha changed a default\): unless only addresses or credentials changed[^\n]*\n(.*\n)*alpha: resume: the venue's OUCH port 127\.0\.0\.1:1 did not accept a login in time: cannot reconcile/m,
    ],
    [
      '--resume of a run that died warming up',
      ['live', 'examples/live-venue.yaml', '--resume', '--out', diedWarming],
      /^alpha: --resume: the run of .* died during its warm-up, before it went live/m,
    ],
    [
      '--resume of a capture that is a symbolic link',
      ['live', 'examples/live-venue.yaml', '--resume', '--out', linkedCapture],
      /^alpha: --resume: .*linked\/capture\.alog is a symbolic link: .* expected a regular file/m,
    ],
    [
      '--resume at another speed',
      ['live', 'examples/live-venue.yaml', '--resume', '--date', '2024-01-02', '--speed', '60', '--out', atSpeed],
      /^alpha: --resume --speed 60: the run of .* ran at 600×/m,
    ],
    [
      '--resume with another clock than the run had',
      [
        'live',
        'examples/live-venue.yaml',
        '--resume',
        '--date',
        '2024-01-02',
        '--speed',
        '600',
        '--open-at',
        new Date().toISOString(),
        '--out',
        atSpeed,
      ],
      /^alpha: --resume --open-at: the run of .* keeps its clock \(its open at 1970-01-01T00:00:00\.000001Z\): leave --open-at out$/m,
    ],
    [
      '--replica without --group',
      ['live', replicated, '--replica', '1'],
      /^alpha: --replica names a replica of a group: give --group too/m,
    ],
    [
      'a --replica that is not an index',
      ['live', replicated, '--group', 'bars', '--replica', '-1'],
      /^alpha: --replica "-1": expected a replica index/m,
    ],
    [
      'a replicated group without --replica',
      ['live', replicated, '--group', 'bars'],
      /^alpha: --group bars: group "bars" has replicas: 2: run one process per replica, each with --replica 0 … 1/m,
    ],
    [
      'a replica the group does not have',
      ['live', replicated, '--group', 'bars', '--replica', '2'],
      /^alpha: --group bars --replica 2: expected 0 … 1 \(group "bars" has replicas: 2\)/m,
    ],
    [
      'a replica index far out of range',
      ['live', replicated, '--group', 'bars', '--replica', '99999'],
      /^alpha: --group bars --replica 99999: expected 0 … 1 \(group "bars" has replicas: 2\)/m,
    ],
    [
      '--replica of a group without replicas',
      ['live', replicated, '--group', 'colo', '--replica', '1'],
      /^alpha: --group colo --replica 1: group "colo" has no replicas in .*: drop --replica/m,
    ],
    [
      'replicas whose Kafka edge has partitions shared between them',
      ['live', threePartitions, '--group', 'bars', '--replica', '0'],
      /^alpha: --group bars: edge "bars" has 3 partitions and group "bars" 2 replicas: .*give it a multiple of 2 partitions/m,
    ],
    [
      "a replica's capture replayed with another replica count",
      ['backtest', replicated, '--capture', ofThree, '--out', join(dir, 'o8')],
      /^alpha: .*of-three\.alog: the capture of group "bars" was taken with replicas: 3, but .* gives it replicas: 2/m,
    ],
    [
      "a one-process group's capture replayed with a topology that replicates the group",
      ['backtest', replicated, '--capture', wholeGroup, '--out', join(dir, 'o9')],
      /^alpha: .*whole-group\.alog: the capture of group "bars" was taken with replicas: 1, but .* gives it replicas: 2/m,
    ],
    [
      'a replica resumed as another',
      ['live', replicated, '--group', 'bars', '--run-id', 'r1', '--replica', '0', '--resume', '--out', deadReplica],
      /^alpha: --resume --replica 0: the run of .* was replica 1 of group "bars": give the same --replica/m,
    ],
    [
      '--capture with --split',
      ['backtest', 'examples/live-venue.yaml', '--capture', notCapture, '--split'],
      /^alpha: --capture replays a live run: it takes no --split/m,
    ],
  ])('%s', async (_what, args, message) => {
    const r = await runAlpha(withData(args), 30_000);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toContain('s3cr3tpw');
  });

  it('refuses to own the working folder, its parents, the root or the home folder, even with --overwrite', async () => {
    // Run from a folder of its own: were the guard broken, the most it could remove is that folder.
    const cwd = join(dir, 'cwd');
    mkdirSync(join(cwd, 'sub'), { recursive: true });
    writeFileSync(join(cwd, 'keep.txt'), 'keep me');
    const alpha = join(ROOT, 'bin/alpha.mjs');
    const topology = join(ROOT, 'examples/live-venue.yaml');
    for (const out of ['.', '..', '/', homedir()]) {
      const r = spawnSync(process.execPath, [alpha, 'live', topology, '--out', out, '--overwrite', '--seconds', '1'], {
        cwd: join(cwd, 'sub'),
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status, out).toBe(1);
      expect(r.stderr, out).toMatch(/^alpha: --out .*: is the (root|home|working) folder/m);
    }
    expect(readFileSync(join(cwd, 'keep.txt'), 'utf8')).toBe('keep me');
  });

  it('replays a capture of another topology as a what-if, saying so (test/e2e/live-cli.test.ts: one of this topology without a word)', async () => {
    const other = await runAlpha(
      withData(['backtest', 'examples/live-venue.yaml', '--capture', join(changedEnded, 'capture.alog'), '--out', join(dir, 'what-if')]),
      60_000,
    );
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).toMatch(
      /^.*changed-ended\/capture\.alog: captured by another topology than examples\/live-venue\.yaml resolves to now \(sha256 ffffffffffff… then, [0-9a-f]{12}… now: a node, a param or a --set differs, or an upgrade of alpha changed a default\): this replay is a what-if, its orders can differ from the live run's$/m,
    );
  });

  it('replays the capture of a run that did not end (killed, torn, or still running), saying so on stderr and in summary.json', async () => {
    // The capture of a live run killed while writing an arrival: its last bytes are a frame cut short.
    const torn = join(dir, 'torn.alog');
    writeFileSync(torn, Buffer.concat([readFileSync(join(stillRunning, 'capture.alog')), Buffer.from([0x41, 0x02, 0x00])]));
    const out = join(dir, 'torn-replay');
    const r = await runAlpha(withData(['backtest', 'examples/live-venue.yaml', '--capture', torn, '--out', out]), 60_000);
    expect(r.code, r.stderr).toBe(0);
    const said =
      /torn\.alog: the live run did not end \(killed, or still running\); its last 3 bytes were an arrival cut short, dropped: replaying its 1 complete arrivals, not the whole session/;
    expect(r.stderr).toMatch(said);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { warnings?: string[] };
    expect(summary.warnings).toEqual([expect.stringMatching(said)]);
  });

  it('leaves a non-empty --out as it was', async () => {
    await runAlpha(withData(['live', 'examples/live-venue.yaml', '--out', full, '--seconds', '1']), 30_000);
    const { readdirSync, readFileSync } = await import('node:fs');
    expect(readdirSync(full)).toEqual(['x.txt']);
    expect(readFileSync(join(full, 'x.txt'), 'utf8')).toBe('keep me');
  });
});

/** `alpha live` reads its instruments from a dataset: give it one that exists whatever ran before. */
function withData(args: string[]): string[] {
  return args[0] === 'live' ? [...args, '--data', data] : args;
}
