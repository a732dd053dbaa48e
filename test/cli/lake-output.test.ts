/**
 * `alpha data query`'s table (pipelines/cli/lake-output.ts) on a large answer: the sample's quotes are
 * 1.59M rows, and a column's width taken by spreading it into Math.max overflowed the call stack from
 * about 125,000 rows ("Maximum call stack size exceeded").
 */
import { describe, expect, it } from 'vitest';
import { toTable } from '../../pipelines/cli/lake-output.ts';

describe('the table of a query answer', () => {
  it('lays out 500,000 rows, each column as wide as its widest cell', () => {
    const columns = [
      { name: 'symbol', type: 'string' as const },
      { name: 'n', type: 'long' as const },
    ];
    const rows = Array.from({ length: 500_000 }, (_, i) => [i === 250_000 ? 'WIDEST_SYMBOL' : 'A', i]);
    const lines = toTable(columns, rows).split('\n');
    expect(lines).toHaveLength(500_002); // header, rows, and the final newline
    expect(lines[0]).toBe(`${'symbol'.padEnd('WIDEST_SYMBOL'.length)}  n`);
    expect(lines[1]).toBe(`${'A'.padEnd(13)}  0`);
    expect(lines[250_001]).toBe('WIDEST_SYMBOL  250000');
  });
});
