/**
 * Documentation generated from the registry: the JSON Schema of topology.yaml (for editors), the
 * operator list of `alpha ops`, docs/operators.md, and the Mermaid picture of a graph.
 */
import { z } from 'zod';
import { MAIN_PORT, outputSchemas, type AnySpec, type PortSpec } from '../../operators/sdk/spec.ts';
import { edgeEnds, type Topology } from './model.ts';
import { MAX_PARTITIONS } from '../../operators/sdk/kafka-params.ts';
import { MAX_GROUP_PROCESSES } from './groups.ts';

interface ParamDoc {
  name: string;
  type: string;
  default: unknown;
  description: string;
  required: boolean;
}

function paramsJsonSchema(spec: AnySpec): Record<string, unknown> {
  return z.toJSONSchema(spec.params, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

export function paramDocs(spec: AnySpec): ParamDoc[] {
  const schema = paramsJsonSchema(spec) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, p]) => ({
    name,
    type: describeType(p),
    default: p['default'],
    description: String(p['description'] ?? ''),
    required: (schema.required ?? []).includes(name) && p['default'] === undefined,
  }));
}

function describeType(p: Record<string, unknown>): string {
  if (Array.isArray(p['enum'])) return (p['enum'] as unknown[]).map((e) => JSON.stringify(e)).join(' | ');
  if (p['const'] !== undefined) return JSON.stringify(p['const']);
  if (Array.isArray(p['anyOf'])) return (p['anyOf'] as Record<string, unknown>[]).map(describeType).join(' | ');
  const type = String(p['type'] ?? 'any');
  const bounds: string[] = [];
  if (p['minimum'] !== undefined) bounds.push(`>= ${String(p['minimum'])}`);
  if (p['exclusiveMinimum'] !== undefined) bounds.push(`> ${String(p['exclusiveMinimum'])}`);
  if (p['maximum'] !== undefined) bounds.push(`<= ${String(p['maximum'])}`);
  if (type === 'array') return `${describeType((p['items'] ?? {}) as Record<string, unknown>)}[]`;
  return bounds.length ? `${type} ${bounds.join(', ')}` : type;
}

function portList(spec: AnySpec): string {
  const ports = Object.entries(spec.inputs as Record<string, PortSpec>);
  if (ports.length === 0) return '—';
  return ports
    .map(([n, p]) => `${n}: ${p.schema}${p.variadic ? '[]' : ''}${p.optional ? '?' : ''}${p.feedback ? ' (feedback)' : ''}`)
    .join(', ');
}

/** The feature names an operator emits with its default params (for pass-through operators, what it adds). */
function defaultFeatures(spec: AnySpec): string[] {
  if (spec.kind !== 'operator' || !spec.features) return [];
  const defaults = spec.params.safeParse({});
  return defaults.success ? spec.features(defaults.data, []) : [];
}

/** `Fill`, `Quote | Trade (by params)`, `—` for a sink; extra ports follow as `; states: OrderState`. */
function outputText(s: AnySpec): string {
  const schemas = outputSchemas(s);
  const main = schemas.length === 0 ? '—' : schemas.length === 1 ? schemas[0]! : `${schemas.join(' | ')} (by params)`;
  const extra =
    s.kind === 'operator' && s.outputs ? Object.entries(s.outputs as Record<string, string>).map(([p, schema]) => `; ${p}: ${schema}`) : [];
  return main + extra.join('');
}

export function opsText(specs: readonly AnySpec[]): string {
  return specs
    .map((s) => {
      const params = paramDocs(s).map(
        (p) =>
          `    ${p.name}: ${p.type}${p.default !== undefined ? ` = ${JSON.stringify(p.default)}` : p.required ? ' (required)' : ''}\n      ${p.description}`,
      );
      const features = defaultFeatures(s);
      return [
        `${s.type}  —  ${s.summary}`,
        `  inputs: ${portList(s)}`,
        `  output: ${outputText(s)}`,
        ...(features.length ? [`  features: ${features.join(', ')}`] : []),
        ...(params.length ? ['  params:', ...params] : []),
      ].join('\n');
    })
    .join('\n\n');
}

export function opsMarkdown(specs: readonly AnySpec[]): string {
  return specs
    .map((s) => {
      const rows = paramDocs(s).map(
        (p) =>
          `| \`${p.name}\` | ${p.type.replace(/\|/g, '\\|')} | ${p.default !== undefined ? `\`${JSON.stringify(p.default)}\`` : p.required ? '**required**' : ''} | ${p.description} |`,
      );
      return [
        `### \`${s.type}\``,
        '',
        s.summary,
        '',
        `Inputs: ${portList(s)} · Output: ${outputText(s)}`,
        '',
        ...(defaultFeatures(s).length
          ? [
              `Features (default params): ${defaultFeatures(s)
                .map((f) => `\`${f}\``)
                .join(', ')}`,
              '',
            ]
          : []),
        ...(rows.length ? ['| param | type | default | description |', '|---|---|---|---|', ...rows, ''] : []),
      ].join('\n');
    })
    .join('\n');
}

export function opsJson(specs: readonly AnySpec[]): unknown {
  return specs.map((s) => ({
    type: s.type,
    summary: s.summary,
    output: outputSchemas(s).join(' | ') || null,
    ...(s.kind === 'operator' && s.outputs ? { outputs: s.outputs } : {}),
    inputs: s.inputs,
    params: paramDocs(s),
  }));
}

/** JSON Schema of topology.yaml, generated from the registry. */
export function topologyJsonSchema(specs: readonly AnySpec[]): Record<string, unknown> {
  const inputs = {
    description: 'A node name, a list of node names (bound to the ports in order), or a mapping port: node.',
    anyOf: [
      { type: 'string' },
      { type: 'array', items: { type: 'string' } },
      { type: 'object', additionalProperties: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } },
    ],
  };
  const transport = {
    description: 'How the output travels between processes: "inline" (default) or a Kafka topic.',
    anyOf: [
      { enum: ['inline', 'kafka'] },
      {
        type: 'object',
        additionalProperties: false,
        required: ['kind'],
        properties: {
          kind: { enum: ['inline', 'kafka'] },
          topic: { type: 'string' },
          partitions: { type: 'integer', minimum: 1, maximum: MAX_PARTITIONS },
        },
      },
    ],
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Alpha Factory topology',
    type: 'object',
    additionalProperties: false,
    required: ['nodes'],
    properties: {
      name: { type: 'string', description: 'Name of the graph.' },
      seed: { type: 'integer', minimum: 0, description: 'Seed of every random generator of the run.' },
      data: { type: 'string', description: 'Default data folder of the replay sources (overridden by --data).' },
      taps: { type: 'array', items: { type: 'string' }, description: 'Nodes whose output is written to taps/NODE.jsonl.' },
      groups: {
        type: 'object',
        description: 'Process groups: group name → its nodes (sources excluded). Edges between groups must be Kafka edges.',
        additionalProperties: {
          anyOf: [
            { type: 'array', items: { type: 'string' }, minItems: 1 },
            {
              type: 'object',
              additionalProperties: false,
              required: ['nodes'],
              properties: {
                nodes: { type: 'array', items: { type: 'string' }, minItems: 1 },
                replicas: {
                  type: 'integer',
                  minimum: 1,
                  maximum: MAX_GROUP_PROCESSES,
                  description: 'Processes sharing the symbols (per-symbol stages only).',
                },
              },
            },
          ],
        },
      },
      live: {
        type: 'object',
        description:
          'What replaces a node in a live run (alpha live): node name → its live type, params and/or inputs; the rest of the graph is the same.',
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          properties: { type: { enum: specs.map((s) => s.type) }, params: { type: 'object' }, inputs },
        },
      },
      nodes: {
        type: 'array',
        items: {
          oneOf: specs.map((s) => ({
            type: 'object',
            description: s.summary,
            additionalProperties: false,
            required: ['name', 'type'],
            properties: {
              name: { type: 'string' },
              type: { const: s.type, description: s.summary },
              inputs,
              params: { ...paramsJsonSchema(s), $schema: undefined },
              transport,
            },
          })),
        },
      },
    },
  };
}

/** The graph as a Mermaid flowchart; feedback edges are dotted. */
export function mermaid(topology: Topology): string {
  const lines = ['flowchart LR'];
  const id = (n: string): string => n.replace(/[^\w]/g, '_');
  for (const n of topology.nodes) lines.push(`  ${id(n.name)}["${n.name}<br/><small>${n.type}</small>"]`);
  const byName = new Map(topology.nodes.map((n) => [n.name, n]));
  for (const n of topology.nodes) {
    for (const [port, producers] of Object.entries(n.inputs)) {
      const feedback = (n.spec.inputs as Record<string, PortSpec>)[port]?.feedback;
      for (const p of producers) {
        const ends = edgeEnds(p);
        const schema = byName.get(ends.node)?.ports[ends.port] ?? '';
        const label = ends.port === MAIN_PORT ? schema : `${ends.port}: ${schema}`;
        lines.push(`  ${id(ends.node)} ${feedback ? '-.->' : '-->'}|${label}| ${id(n.name)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
