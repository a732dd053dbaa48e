import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonLinesFile } from '../../pipelines/io/json-lines-file.ts';
import { tempDir } from '../helpers/datasets.ts';

describe('JsonLinesFile', () => {
  it('writes every line, in order, across many chunks, multi-byte characters included', () => {
    const path = join(tempDir('jsonl'), 'taps', 'node.jsonl');
    const file = new JsonLinesFile(path);
    const lines = Array.from({ length: 120_000 }, (_, i) => JSON.stringify({ i, s: i % 7 === 0 ? 'é€😀'.repeat(i % 13) : 'x' }));
    for (const l of lines) file.add(l);
    file.close();
    file.close(); // a second close does nothing
    const text = readFileSync(path, 'utf8');
    expect(Buffer.byteLength(text)).toBeGreaterThan(3 << 20); // several chunks of about 1 MiB
    expect(text).toBe(`${lines.join('\n')}\n`);
  });

  it('leaves an empty file for a tap that saw no record', () => {
    const path = join(tempDir('jsonl'), 'empty.jsonl');
    new JsonLinesFile(path).close();
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('');
  });
});
