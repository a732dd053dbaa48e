/** Helpers of the lake tests: a temporary lake, Trade rows, and delta-rs (scripts/lake/lake.py) as an independent reader and writer. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lakeInstall } from '../../lib/io/lake/install.ts';
import type { Trade } from '../../schemas/types.generated.ts';

export function tempLake(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `alpha-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `lake.py COMMAND ARGS` (delta-rs) and returns its JSON answer; throws with its stderr when it fails. */
export function deltaRs<T = Record<string, unknown>>(command: string, args: readonly string[]): T {
  const { python, tool } = lakeInstall();
  return JSON.parse(execFileSync(python, [tool, command, ...args], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120_000 })) as T;
}

/** The rows of a table as delta-rs reads them (every row version, without the partition column), sorted by id then version. */
export function deltaRsRows(table: string, options: { version?: number; asOf?: number } = {}): Record<string, unknown>[] {
  const args = ['--table', table];
  if (options.version !== undefined) args.push('--version', String(options.version));
  if (options.asOf !== undefined) args.push('--as-of', String(options.asOf), '--key', 'id', '--latest', 'version,ts_known,seq');
  const r = deltaRs<{ records: Record<string, unknown>[] }>('read', args);
  return sortTrades(r.records.map(({ date: _date, ...rest }) => rest));
}

export function sortTrades<T extends Record<string, unknown>>(rows: T[]): T[] {
  return [...rows].sort((a, b) => Number(a['id']) - Number(b['id']) || Number(a['version']) - Number(b['version']));
}

/** A trade as a plain row (what the lake holds, in the schema's field order). */
export function tradeRow(t: Trade): Record<string, unknown> {
  return {
    ts_event: t.ts_event,
    ts_known: t.ts_known,
    symbol: t.symbol,
    seq: t.seq,
    id: t.id,
    version: t.version,
    price: t.price,
    size: t.size,
    aggressor: t.aggressor,
  };
}

/** The answer of a lake query as objects (columns by name). */
export function asObjects(answer: { columns: readonly { name: string }[]; rows: unknown[][] }): Record<string, unknown>[] {
  return answer.rows.map((r) => Object.fromEntries(answer.columns.map((c, i) => [c.name, r[i]])));
}
