/**
 * The column layout records cross into the Kafka binding with: header values encoded as UTF-8 in one
 * go (joinedText) give the bytes and lengths of encoding each value on its own, ASCII or not.
 */
import { describe, expect, it } from 'vitest';
import { joined, joinedText, toColumns } from '../../../native/kafka/index.ts';

const oneByOne = (parts: readonly string[]) => joined(parts.map((p) => Buffer.from(p, 'utf8')));

describe('joinedText', () => {
  it('gives the bytes and lengths of encoding each part alone', () => {
    const cases: string[][] = [
      [],
      [''],
      ['0:1:40', '', 'mx8ielsljv9', '7'],
      ['café', 'ü', 'plain'],
      ['𝄞 clef', 'a\u0000b', '\ud800 lone surrogate', 'ok'],
    ];
    for (const parts of cases) {
      const got = joinedText(parts);
      const want = oneByOne(parts);
      expect([...got.lengths]).toEqual([...want.lengths]);
      expect(got.data.equals(want.data)).toBe(true);
    }
  });
});

describe('toColumns', () => {
  it('lays out string and Buffer header values alike', () => {
    const record = (headers: Record<string, string | Buffer>) => ({ topic: 't', partition: 0, key: null, value: null, headers });
    const text = toColumns([record({ a: 'é', b: '' }), record({ c: 'x' })]);
    const bytes = toColumns([record({ a: Buffer.from('é'), b: '' }), record({ c: 'x' })]);
    for (const c of [text, bytes]) {
      expect([...c.headers.counts]).toEqual([2, 1]);
      expect(c.headers.names).toEqual(['a', 'b', 'c']);
      expect([...c.headers.values.lengths]).toEqual([2, 0, 1]);
      expect(c.headers.values.data.toString('utf8')).toBe('éx');
    }
  });
});
