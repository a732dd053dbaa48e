/** The Parquet addon fixes glibc's mmap threshold (native/parquet: fix_mmap_threshold), as the `alpha` command asks first thing. */
import { describe, expect, it } from 'vitest';
import { fixMmapThreshold } from '../../native/parquet/index.ts';

/** Whether this Node runs on glibc, from its own report (not from the code under test). */
const onGlibc = Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

describe('fixMmapThreshold', () => {
  it('applies where the C library is glibc, and nowhere else', () => {
    expect(fixMmapThreshold(128 * 1024)).toBe(onGlibc);
  });
});
