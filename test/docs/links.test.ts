import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkExamples, docPages, formatProblem, markdownSnippets } from '../../scripts/check-examples.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pages = [...docPages(root), 'bench/README.md'];
const read = (page: string): string => readFileSync(join(root, page), 'utf8');

/** The page without its fenced code blocks (a `# comment` in a shell block is not a heading). */
const prose = (text: string): string => text.replace(/^\s*```[\s\S]*?^\s*```\s*$/gm, '');

/** GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces to hyphens, -1, -2 … for repeats. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*$/gm)) {
    const slug = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

describe('links and paths in README.md, CONTRIBUTING.md, docs/ and bench/README.md', () => {
  it('every relative link reaches a file, and every #anchor a heading of it', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const m of prose(read(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const file = path ? normalize(join(dirname(page), path)) : page;
        if (!existsSync(join(root, file))) broken.push(`${page}: ${target} (no ${file})`);
        else if (anchor && file.endsWith('.md') && !anchors(read(file)).has(anchor))
          broken.push(`${page}: ${target} (no heading #${anchor} in ${file})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every source path they name in backticks exists', () => {
    const top = readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .filter((d) => !['node_modules', 'out', 'data'].includes(d));
    const path = new RegExp(`^(?:${top.join('|')})/[a-z0-9_./-]*$`);
    const missing = pages.flatMap((page) =>
      [...read(page).matchAll(/`([^`\s]+)`/g)]
        .map((m) => m[1]!.replace(/[:,]$/, ''))
        .filter((p) => path.test(p) && !existsSync(join(root, p)))
        .map((p) => `${page}: ${p}`),
    );
    expect([...new Set(missing)]).toEqual([]);
  });

  it('their TypeScript blocks that name their file type-check', () => {
    const snippets = docPages(root).flatMap((page) => markdownSnippets(page, read(page)));
    expect(snippets.map((s) => s.file)).toContain('CONTRIBUTING.md');
    const { problems } = checkExamples({ dirs: [], snippets });
    expect(problems.map(formatProblem)).toEqual([]);
  });
});
