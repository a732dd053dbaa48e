/** Every topology of examples/ is valid against the registry (what `alpha validate examples/FILE` says). */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../../operators/index.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { formatProblem } from '../../pipelines/topology/problems.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';
import { ROOT } from '../helpers/cli.ts';

const files = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml'));

describe('examples/', () => {
  it('holds topologies', () => expect(files).toContain('dowjones30.yaml'));
  it.each(files)('%s is valid', (file) => {
    const { problems } = validateTopology(loadTopology(join(ROOT, 'examples', file), []), registry);
    expect(problems.map(formatProblem)).toEqual([]);
  });
});
