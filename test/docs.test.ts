import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReadme, renderSchema } from '../scripts/docs.ts';

const read = (f: string): string => readFileSync(new URL(`../${f}`, import.meta.url), 'utf8');

describe('generated documentation (run `npm run docs` after changing an operator)', () => {
  it('README.md has the current operator reference and graph picture', () => {
    const readme = read('README.md');
    expect(readme).toBe(renderReadme(readme));
  });

  it('topology.schema.json is the current JSON Schema', () => {
    expect(read('topology.schema.json')).toBe(renderSchema());
  });

  it('the README quick start is the two commands, and .ci/run runs the test command', () => {
    const readme = read('README.md');
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
    expect(read('.ci/run')).toMatch(/^npm test$/m);
  });
});
