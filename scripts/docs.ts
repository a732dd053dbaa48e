/**
 * `npm run docs`: regenerates what docs/ and topology.schema.json derive from the code — the operator
 * reference (docs/operators.md) and the JSON Schema of topology.yaml from the registry, the picture of
 * the default graph (docs/architecture.md) from topology.yaml, and the help of every command
 * (docs/cli.md) from the `alpha` program. Generated text sits between `<!-- NAME:start -->` and
 * `<!-- NAME:end -->` markers; the rest of each page is written by hand. test/docs.test.ts fails when
 * any of it is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { buildProgram } from '../pipelines/cli/program.ts';
import type { Command } from 'commander';
import { operators, registry } from '../operators/index.ts';
import { loadTopology } from '../pipelines/topology/load.ts';
import { validateTopology } from '../pipelines/topology/validate.ts';
import { mermaid, opsMarkdown, topologyJsonSchema } from '../pipelines/topology/reference.ts';

const root = new URL('../', import.meta.url);

/** Width of the generated help text (commander wraps to the terminal otherwise). */
const HELP_WIDTH = 100;

function replaceBetween(file: string, text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file} has no ${start} … ${end} section`);
  return `${text.slice(0, a + start.length)}\n${body.trimEnd()}\n${text.slice(b)}`;
}

let program: Promise<Command> | undefined;

/** The `alpha` program, as pipelines/cli/program.ts builds it (built once). */
export function alphaProgram(): Promise<Command> {
  program ??= buildProgram();
  return program;
}

/** Every command of the program, depth first, with its full name (`alpha model train`). */
export function commandsOf(command: Command, path: readonly string[] = [command.name()]): { name: string; command: Command }[] {
  return [{ name: path.join(' '), command }, ...command.commands.flatMap((c) => commandsOf(c, [...path, c.name()]))];
}

export async function renderCliHelp(): Promise<string> {
  return commandsOf(await alphaProgram())
    .map(({ name, command }) => {
      command.configureHelp({ ...command.configureHelp(), helpWidth: HELP_WIDTH });
      command.configureOutput({ ...command.configureOutput(), getOutHasColors: () => false });
      return `### \`${name}\`\n\n\`\`\`text\n${command.helpInformation().trimEnd()}\n\`\`\`\n`;
    })
    .join('\n');
}

function defaultGraph(): string {
  const { topology } = validateTopology(loadTopology(new URL('topology.yaml', root).pathname), registry);
  if (!topology) throw new Error('topology.yaml is invalid: run `npx alpha validate topology.yaml`');
  return `\`\`\`mermaid\n${mermaid(topology)}\`\`\``;
}

/** Each generated page: its path from the repository root and how to bring its text up to date. */
export const GENERATED: readonly { file: string; render(text: string): Promise<string> }[] = [
  // The reference's operators are the page's sections.
  {
    file: 'docs/operators.md',
    render: async (t) => replaceBetween('docs/operators.md', t, 'ops', opsMarkdown(operators).replace(/^### /gm, '## ')),
  },
  { file: 'docs/architecture.md', render: async (t) => replaceBetween('docs/architecture.md', t, 'graph', defaultGraph()) },
  { file: 'docs/cli.md', render: async (t) => replaceBetween('docs/cli.md', t, 'cli', await renderCliHelp()) },
  { file: 'topology.schema.json', render: async () => `${JSON.stringify(topologyJsonSchema(operators), null, 2)}\n` },
];

export const read = (file: string): string => readFileSync(new URL(file, root), 'utf8');

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const { file, render } of GENERATED) {
    const before = read(file);
    const after = await render(before);
    if (after !== before) {
      writeFileSync(new URL(file, root), after);
      process.stdout.write(`wrote ${file}\n`);
    }
  }
}
