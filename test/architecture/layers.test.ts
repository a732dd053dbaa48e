import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importsOf, importViolations, layerOf, sourceFiles } from './layers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('the import table', () => {
  it('holds for the whole source tree', () => {
    const files = sourceFiles(root);
    expect(files.size).toBeGreaterThan(80);
    expect(importViolations(files)).toEqual([]);
  });

  it('puts every file in the most specific layer', () => {
    expect(layerOf('lib/core/rng.ts')?.name).toBe('lib/core');
    expect(layerOf('lib/optimise/refine.ts')?.name).toBe('lib');
    expect(layerOf('operators/sdk/spec.ts')?.name).toBe('sdk');
    expect(layerOf('operators/index.ts')?.name).toBe('registry');
    expect(layerOf('operators/feature/bars.ts')?.name).toBe('operator');
    expect(layerOf('test/x.test.ts')).toBeUndefined();
  });

  it('reads static, type-only, re-export and dynamic imports', () => {
    const text =
      "import { a } from './a.ts';\nimport type { B } from \"../b.ts\";\nexport { c } from './c.ts';\nconst d = await import('./d.ts');\nimport 'side-effect';";
    expect(importsOf(text)).toEqual(['./a.ts', '../b.ts', './c.ts', './d.ts']);
  });

  // The test of the test: each wrong import below must be caught.
  it.each([
    ['lib/optimise/x.ts', "import { runBacktest } from '../../pipelines/runtime/backtest.ts';", 'layer pipelines'],
    ['lib/core/x.ts', "import { solveQP } from '../../native/osqp/index.ts';", 'layer native'],
    ['native/osqp/x.ts', "import { Ledger } from '../../lib/portfolio/ledger.ts';", 'layer lib'],
    ['operators/feature/x.ts', "import { bars } from './bars.ts';", 'layer operator'],
    ['operators/risk/x.ts', "import { EventClock } from '../../pipelines/runtime/event-clock.ts';", 'layer pipelines'],
    ['operators/sdk/x.ts', "import { registry } from '../index.ts';", 'layer registry'],
    ['operators/sink/x.ts', "import * as arrow from 'apache-arrow';", 'package apache-arrow'],
    ['pipelines/kafka/x.ts', "import { Kafka } from 'kafkajs';", 'package kafkajs'],
    ['schemas/x.ts', "import type { Micros } from '../lib/core/time.ts';", 'layer lib/core'],
  ])('refuses %s: %s', (file, line, expected) => {
    const problems = importViolations(new Map([[file, line]]));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  it('allows what the table allows', () => {
    const ok = new Map([
      [
        'operators/feature/x.ts',
        "import { RollingWindow } from '../sdk/math.ts';\nimport { Rng } from '../../lib/core/rng.ts';\nimport type { Bar } from '../../schemas/types.generated.ts';",
      ],
      ['lib/optimise/x.ts', "import { QpSolver } from '../../native/osqp/index.ts';\nimport { Heap } from '../core/heap.ts';"],
      ['pipelines/cli/x.ts', "import { registry } from '../../operators/index.ts';"],
    ]);
    expect(importViolations(ok)).toEqual([]);
  });
});
