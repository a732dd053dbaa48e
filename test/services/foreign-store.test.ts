/**
 * scripts/services/seaweedfs.sh up, when the S3 port is held by a store this checkout did not start
 * (another checkout's, say) and no identity for it is known here: one line naming the holder and what
 * to do, exit 1, instead of a reuse that leaves the tests without credentials.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '../../scripts/services/seaweedfs.sh');
const dir = mkdtempSync(join(tmpdir(), 'alpha-foreign-store-'));
/** The foreign store: an HTTP server in a process of its own (the script's curl needs an answer while the test waits). */
let store: ChildProcess;
let port = 0;

beforeAll(async () => {
  const code =
    // Takes the pair whose access key is "given" (it checks no signature: the script's part is to sign with the pair it knows).
    "const s = require('node:http').createServer((req, res) => res.writeHead(/Credential=given\\//.test(req.headers.authorization ?? '') ? 200 : 403).end());" +
    "s.listen(0, '127.0.0.1', () => console.log(s.address().port));";
  store = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  port = await new Promise<number>((done) => store.stdout!.once('data', (chunk: Buffer) => done(Number(chunk.toString()))));
});
afterAll(() => {
  store.kill();
  rmSync(dir, { recursive: true, force: true });
});

const up = (extra: Record<string, string>) => {
  const env: Record<string, string | undefined> = { ...process.env, SERVICES_DIR: dir, ALPHA_S3_PORT: String(port), ...extra };
  if (!('ALPHA_S3_ACCESS_KEY' in extra)) delete env['ALPHA_S3_ACCESS_KEY'];
  if (!('ALPHA_S3_SECRET_KEY' in extra)) delete env['ALPHA_S3_SECRET_KEY'];
  delete env['SERVICES_CACHE_DIR'];
  return spawnSync('bash', [SCRIPT, 'up'], { encoding: 'utf8', env, timeout: 30_000 });
};

/** How the script names the process holding the port: by pid where `ss` (iproute2) is installed. */
const ssInstalled = spawnSync('sh', ['-c', 'command -v ss'], { encoding: 'utf8' }).status === 0;
const holder = (): string => (ssInstalled ? `pid ${store.pid} (` : '(ss, of iproute2, is not installed)');

describe('seaweedfs.sh up beside a store it did not start', () => {
  it('refuses, naming the process on the port, when it knows no identity for it', () => {
    const r = up({});
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`port ${port} is held by `);
    expect(lines[0]).toContain(holder());
    expect(lines[0]).toContain('its S3 identity is not known here');
    expect(lines[0]).toContain('ALPHA_S3_PORT');
  });

  it('reuses it when the identity is given', () => {
    const r = up({ ALPHA_S3_ACCESS_KEY: 'given', ALPHA_S3_SECRET_KEY: 'pair' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`port ${port} is already in use by `);
    expect(r.stdout).toContain(holder());
  });

  it('refuses when the store refuses the identity it would use', () => {
    const r = up({ ALPHA_S3_ACCESS_KEY: 'other', ALPHA_S3_SECRET_KEY: 'sekrit-42' });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`the store on port ${port} (`);
    expect(lines[0]).toContain("refuses this checkout's S3 identity (ALPHA_S3_ACCESS_KEY from the environment)");
    expect(r.stderr).not.toContain('sekrit-42'); // the secret is not echoed
  });
});
