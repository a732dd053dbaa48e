/** DataError names its file on the one line of its message, whatever the path holds. */
import { describe, expect, it } from 'vitest';
import { DataError } from '../../../lib/core/errors.ts';

describe('DataError', () => {
  it('shows a newline or a control character in the file name escaped, so the refusal stays one alpha: line', () => {
    // `alpha report RUN --data $'a\nb'` printed "alpha: a" and "b/manifest.json: …" on two lines.
    expect(new DataError('a\nb/manifest.json', 'not found').message).toBe('a\\nb/manifest.json: not found');
    expect(new DataError('x\u001b[31m/m.json', 'bad').message).toBe('x\\x1b[31m/m.json: bad');
    expect(new DataError('data/sample/manifest.json', 'fine').message).toBe('data/sample/manifest.json: fine');
  });
});
