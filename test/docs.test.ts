import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { alphaProgram, commandsOf, GENERATED, read } from '../scripts/docs.ts';

describe('generated documentation (run `npm run docs` after changing an operator, a command or topology.yaml)', () => {
  it.each(GENERATED.map((g) => [g.file, g] as const))('%s is up to date', async (file, { render }) => {
    const text = read(file);
    expect(await render(text), `${file} is stale: run \`npm run docs\``).toBe(text);
  });
});

/** The rows of the first Markdown table after `heading` (cells trimmed; header and rule left out). */
function tableAfter(text: string, heading: string): string[][] {
  const lines = text.slice(text.indexOf(heading)).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
    rows.push(
      lines[i]!.split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => c.trim().replace(/\\\|/g, '|')),
    );
  }
  return rows;
}

describe('README.md, the front door', () => {
  const readme = read('README.md');

  it('quick start is the two commands, and .ci/run runs the test command', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
    expect(read('.ci/run')).toMatch(/^npm test$/m);
  });

  it('shows at most ten benchmark rows, each a row of docs/benchmarks.md with its command', () => {
    const rows = tableAfter(readme, '## Benchmarks');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(10);
    const full = read('docs/benchmarks.md').split('\n');
    for (const row of rows) {
      expect(row[2], `command of "${row[0]}"`).toMatch(/`[^`]+`/);
      expect(full, `README row "${row[0]}" is not in docs/benchmarks.md`).toContain(`| ${row.join(' | ')} |`);
    }
  });
});

describe('docs/cli.md, the command table', () => {
  const rows = tableAfter(read('docs/cli.md'), '# The `alpha` command');

  /** The command a row's usage names (`alpha model train --from …` → alpha model train) and its flags. */
  const parse = (program: Command, usage: string): { name: string; command: Command; flags: string[] } => {
    const words = usage.replace(/`/g, '').split(/\s+/);
    let command = program;
    for (const w of words.slice(1)) {
      const sub = command.commands.find((c) => c.name() === w);
      if (!sub) break;
      command = sub;
    }
    return { name: commandsOf(program).find((c) => c.command === command)!.name, command, flags: usage.match(/--[a-z][a-z-]*/g) ?? [] };
  };

  it('has a row for every command of the program', async () => {
    const program = await alphaProgram();
    const documented = new Set(rows.map((r) => parse(program, r[0]!).name));
    const leaves = commandsOf(program)
      .filter((c) => c.command.commands.length === 0)
      .map((c) => c.name);
    expect(leaves.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('names only flags the command has', async () => {
    const program = await alphaProgram();
    const unknown = rows.flatMap((r) => {
      const { name, command, flags } = parse(program, r[0]!);
      const known = new Set([...command.options.map((o) => o.long), '--help']);
      return flags.filter((f) => !known.has(f)).map((f) => `${name}: ${f}`);
    });
    expect(unknown).toEqual([]);
  });
});
