/** Runs each operator's asynchronous `prepare` (loading a model, say) before the graph is built. */
import type { Session } from '../../operators/sdk/context.ts';
import type { Topology } from '../topology/model.ts';

export async function prepareNodes(
  topology: Topology,
  sessions: readonly Session[],
  members?: ReadonlySet<string>,
): Promise<Map<string, unknown>> {
  const prepared = new Map<string, unknown>();
  for (const node of topology.nodes) {
    if (node.spec.kind === 'operator' && node.spec.prepare && (!members || members.has(node.name))) {
      prepared.set(node.name, await node.spec.prepare(node.params, { node: node.name, sessions }));
    }
  }
  return prepared;
}
