/**
 * OUT/live.pid (pipelines/runtime/live-control.ts), which `alpha kill` and `alpha live --resume` read
 * and a live run writes: what is there that a live run did not write is refused in one AlphaError (a
 * link to /dev/zero took 16.9 GB, a pipe blocked for ever), and a link left in a resumed --out is
 * replaced, not written through (the pid landed in the file it named).
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlphaError } from '../../lib/core/errors.ts';
import { processStart } from '../../lib/core/process-alive.ts';
import { KILL_FILE, liveRunIn, PID_FILE, readPid, requestHalt, watchControl } from '../../pipelines/runtime/live-control.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-live-control-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function folder(name: string, pid: (file: string) => void): string {
  const out = join(dir, name);
  mkdirSync(out);
  pid(join(out, PID_FILE));
  return out;
}

describe('OUT/live.pid', () => {
  it('reads the pid a live run wrote, and NaN when there is none', () => {
    expect(readPid(folder('ok', (f) => writeFileSync(f, '4242\n')))).toBe(4242);
    // As an editor or another system may leave it: spaces around it, a CRLF.
    expect(readPid(folder('spaced', (f) => writeFileSync(f, ' 4242 \r\n')))).toBe(4242);
    expect(readPid(folder('with-start', (f) => writeFileSync(f, '4242 123456\r\n')))).toBe(4242);
    expect(readPid(folder('none', () => undefined))).toBeNaN();
  });

  it.each([
    [
      'a link to /dev/zero',
      (f: string) => symlinkSync('/dev/zero', f),
      /not a regular file \(a device, pipe or socket\); expected the pid file/,
    ],
    ['a pipe', (f: string) => execFileSync('mkfifo', [f]), /not a regular file \(a device, pipe or socket\); expected the pid file/],
    ['a folder', (f: string) => mkdirSync(f), /not a regular file \(a folder\); expected the pid file/],
    [
      'a large file',
      (f: string) => writeFileSync(f, '1'.repeat(65)),
      /65 bytes: larger than the limit of 64 bytes for the pid file alpha live writes/,
    ],
    [
      'text',
      (f: string) => writeFileSync(f, 'ORIGINAL\n'),
      /live\.pid: not a process id \(and its start\); expected the pid file alpha live writes/,
    ],
  ])('refuses %s in one AlphaError naming the file, for alpha kill as for --resume', async (name, make, message) => {
    const out = folder(name.replaceAll(' ', '-').replaceAll('/', '_'), make);
    expect(() => readPid(out)).toThrow(AlphaError);
    expect(() => readPid(out)).toThrow(message);
    await expect(requestHalt(out, 'test', 100)).rejects.toThrow(message);
  });

  it('takes a pid the system gave to another program since for a run that ended, and writes no kill.json there', async () => {
    const start = processStart(process.pid);
    expect(start).toMatch(/^\d+$/);
    const ours = folder('same-start', (f) => writeFileSync(f, `${process.pid} ${start}\n`));
    expect(liveRunIn(ours)).toBe(process.pid);
    // This process's id, as a run that started at another time would have written it.
    const recycled = folder('other-start', (f) => writeFileSync(f, `${process.pid} ${Number(start) + 1}\n`));
    expect(readPid(recycled)).toBe(process.pid);
    expect(liveRunIn(recycled)).toBeUndefined();
    await expect(requestHalt(recycled, 'test', 100)).rejects.toThrow(
      `${recycled}: the live run (pid ${process.pid}) is not running any more`,
    );
    expect(() => lstatSync(join(recycled, KILL_FILE))).toThrow(/ENOENT/);
    // Written before the start was recorded: the pid alone decides.
    expect(liveRunIn(folder('pid-only', (f) => writeFileSync(f, `${process.pid}\n`)))).toBe(process.pid);
  });

  it('writes its start beside its pid', () => {
    const out = join(dir, 'written');
    mkdirSync(out);
    const stop = watchControl(
      out,
      () => undefined,
      () => undefined,
    );
    try {
      expect(readFileSync(join(out, PID_FILE), 'utf8')).toBe(`${process.pid} ${processStart(process.pid)}\n`);
      expect(liveRunIn(out)).toBe(process.pid);
    } finally {
      stop();
    }
  });

  it('replaces a link left as live.pid instead of writing the pid into the file it names', () => {
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'ORIGINAL\n');
    const out = folder('linked', (f) => symlinkSync(victim, f));
    const stop = watchControl(
      out,
      () => undefined,
      () => undefined,
    );
    try {
      expect(lstatSync(join(out, PID_FILE)).isFile()).toBe(true);
      expect(readPid(out)).toBe(process.pid);
      expect(readFileSync(victim, 'utf8')).toBe('ORIGINAL\n');
    } finally {
      stop();
    }
  });
});

describe('OUT/kill.json, as a live run takes it', () => {
  it.each([
    ['a pipe', (f: string) => execFileSync('mkfifo', [f]), /kill\.json: not a regular file \(a device, pipe or socket\); halting anyway$/],
    ['a link to /dev/zero', (f: string) => symlinkSync('/dev/zero', f), /not a regular file \(a device, pipe or socket\); halting anyway$/],
    [
      'a large file',
      (f: string) => writeFileSync(f, `{"reason":"${'x'.repeat(10_000)}"}`),
      /larger than the limit of 4096 bytes for the halt request alpha kill writes; halting anyway$/,
    ],
    ['not JSON', (f: string) => writeFileSync(f, 'halt please'), /kill\.json: not the JSON alpha kill writes; halting anyway$/],
    ['JSON null', (f: string) => writeFileSync(f, 'null'), undefined],
  ])('%s: halts at once, says why once, and removes it (no read that blocks or fills memory)', (name, make, warning) => {
    const out = join(dir, `kill-${name.replaceAll(' ', '-').replaceAll('/', '_')}`);
    mkdirSync(out);
    make(join(out, 'kill.json'));
    const halts: string[] = [];
    const warnings: string[] = [];
    // The file is there before the watch starts: watchControl takes it synchronously.
    const stop = watchControl(
      out,
      (reason) => halts.push(reason),
      (m) => warnings.push(m),
    );
    stop();
    expect(halts).toEqual(['alpha kill']);
    if (warning) expect(warnings).toEqual([expect.stringMatching(warning)]);
    else expect(warnings).toEqual([]);
    expect(() => lstatSync(join(out, 'kill.json'))).toThrow(/ENOENT/);
  });
});
