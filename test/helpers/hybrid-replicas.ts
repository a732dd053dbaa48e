/**
 * examples/hybrid.yaml with its bars in a group of their own, replicated by symbol
 * (`bars: { nodes: [bars], replicas: 2 }`), and tapped, so each replica writes taps/bars.jsonl: the
 * topology of a live run whose feed-side stage is split between processes (docs/live.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.ts';

export function writeHybridReplicas(dir: string, options: { replicas?: number; partitions?: number } = {}): string {
  const source = readFileSync(join(ROOT, 'examples/hybrid.yaml'), 'utf8');
  const groups = '  colo: [bars, orders, pretrade, broker, accounting, orders_out, fills_out]\n';
  const bars = '    params: { minutes: 1 }\n    transport: kafka\n';
  if (!source.includes(groups) || !source.includes(bars) || !source.includes('taps: [pretrade]'))
    throw new Error('examples/hybrid.yaml changed: update test/helpers/hybrid-replicas.ts');
  const text = source
    .replace(
      groups,
      `  colo: [orders, pretrade, broker, accounting, orders_out, fills_out]\n  bars: { nodes: [bars], replicas: ${options.replicas ?? 2} }\n`,
    )
    .replace(bars, `    params: { minutes: 1 }\n    transport: { kind: kafka, partitions: ${options.partitions ?? 4} }\n`)
    .replace('taps: [pretrade]', 'taps: [pretrade, bars]')
    .replace('name: hybrid', 'name: hybrid_replicas');
  const file = join(dir, `hybrid-replicas-${options.replicas ?? 2}x${options.partitions ?? 4}.yaml`);
  writeFileSync(file, text);
  return file;
}
