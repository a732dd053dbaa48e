/**
 * `alpha model train`'s default features folder (--work left out): two trainings at once into model
 * folders of the same name (/a/m1, /b/m1) shared out/model-train/m1, and one trained on the other's
 * features. The default now names the folder by --out's whole path.
 */
import { describe, expect, it } from 'vitest';
import { defaultWork } from '../../pipelines/cli/model.ts';

describe('the default --work of model train', () => {
  it('differs for model folders of one name in two places, and is the same for one --out however written', () => {
    expect(defaultWork('/tmp/a/m1')).not.toBe(defaultWork('/tmp/b/m1'));
    expect(defaultWork('/tmp/a/m1')).toMatch(/^out\/model-train\/m1-[0-9a-f]{8}$/);
    expect(defaultWork('/tmp/a/../a/m1')).toBe(defaultWork('/tmp/a/m1'));
  });
});
