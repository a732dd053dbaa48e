/**
 * `npm run docs`: regenerates what the README and topology.schema.json derive from the registry —
 * the operator reference, the picture of the default graph and the JSON Schema. A test fails when
 * they are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { operators, registry } from '../operators/index.ts';
import { loadTopology } from '../pipelines/topology/load.ts';
import { validateTopology } from '../pipelines/topology/validate.ts';
import { mermaid, opsMarkdown, topologyJsonSchema } from '../pipelines/topology/reference.ts';

const root = new URL('../', import.meta.url);

function replaceBetween(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md has no ${start} … ${end} section`);
  return `${text.slice(0, a + start.length)}\n${body.trimEnd()}\n${text.slice(b)}`;
}

export function renderReadme(readme: string): string {
  const { topology } = validateTopology(loadTopology(new URL('topology.yaml', root).pathname), registry);
  if (!topology) throw new Error('topology.yaml is invalid: run `npx alpha validate topology.yaml`');
  let out = replaceBetween(readme, 'ops', opsMarkdown(operators));
  out = replaceBetween(out, 'graph', `\`\`\`mermaid\n${mermaid(topology)}\`\`\``);
  return out;
}

export function renderSchema(): string {
  return `${JSON.stringify(topologyJsonSchema(operators), null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const readmeUrl = new URL('README.md', root);
  writeFileSync(readmeUrl, renderReadme(readFileSync(readmeUrl, 'utf8')));
  writeFileSync(new URL('topology.schema.json', root), renderSchema());
}
