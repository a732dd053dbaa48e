/**
 * The feature names each node emits, derived from the registry's `features` declarations in
 * topological order: what the graph builder hands each node as `ctx.inputs[...].features`, and what
 * validation checks (no name twice in a cross-section; a model's card names the same features).
 */
import type { ResolvedNode } from './model.ts';

/** The names `node` emits, given the names its producers emit (in port and binding order). */
export function nodeFeatures(node: ResolvedNode, upstream: readonly string[]): readonly string[] {
  const spec = node.spec;
  const declared = spec.features ? spec.features(node.params, upstream) : undefined;
  return declared ?? (node.output === 'CrossSection' ? upstream : []);
}

/** The names arriving at `node`: its producers' names, in port and binding order. */
export function upstreamFeatures(node: ResolvedNode, emitted: ReadonlyMap<string, readonly string[]>): string[] {
  return Object.values(node.inputs)
    .flat()
    .flatMap((producer) => emitted.get(producer) ?? []);
}

/** Every node's emitted names; `nodes` must be in topological order. */
export function resolveFeatures(nodes: readonly ResolvedNode[]): Map<string, readonly string[]> {
  const emitted = new Map<string, readonly string[]>();
  for (const node of nodes) emitted.set(node.name, nodeFeatures(node, upstreamFeatures(node, emitted)));
  return emitted;
}

/** Names that occur more than once, in first-occurrence order. */
export function duplicateNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const n of names) (seen.has(n) ? twice : seen).add(n);
  return [...twice];
}
