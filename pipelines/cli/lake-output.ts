/**
 * The text forms of a lake query's answer: `table` (aligned, times as ISO-8601 UTC to the µs), `csv`
 * (RFC 4180, header first) and `json` (one object per line); in csv and json a time is whole µs since
 * the epoch, as everywhere in the product.
 */
import type { LakeColumn } from '../../lib/io/lake/table-schema.ts';

export function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(us - Math.floor(us / 1e6) * 1e6).padStart(6, '0')}Z`;
}

const csvField = (v: unknown): string => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export function toCsv(columns: readonly LakeColumn[], rows: readonly unknown[][]): string {
  const lines = [columns.map((c) => csvField(c.name)).join(',')];
  for (const r of rows) lines.push(r.map(csvField).join(','));
  return `${lines.join('\n')}\n`;
}

export function toJsonLines(columns: readonly LakeColumn[], rows: readonly unknown[][]): string {
  let out = '';
  for (const r of rows) out += `${JSON.stringify(Object.fromEntries(columns.map((c, i) => [c.name, r[i]])))}\n`;
  return out;
}

export function toTable(columns: readonly LakeColumn[], rows: readonly unknown[][]): string {
  const cells = rows.map((r) => r.map((v, i) => (columns[i]?.type === 'timestamp' ? isoMicros(Number(v)) : String(v))));
  // Control characters of hostile data would move the cursor: shown escaped.
  const shown = cells.map((r) => r.map((s) => s.replace(/\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)));
  // A loop, not Math.max(...column): spread, a column of ~125,000 rows overflowed the call stack.
  const widths = columns.map((c) => c.name.length);
  for (const r of shown) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, r[i]!.length);
  const line = (r: readonly string[]): string =>
    r
      .map((s, i) => s.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(columns.map((c) => c.name)), ...shown.map(line)].join('\n')}\n`;
}
