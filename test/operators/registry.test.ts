import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { operators, registry } from '../../operators/index.ts';
import { STAGES } from '../../operators/sdk/spec.ts';
import { paramDocs } from '../../pipelines/topology/reference.ts';

const root = fileURLToPath(new URL('../../operators/', import.meta.url));

describe('operator registry', () => {
  it('registers every operator file, named <stage>.<file name>', () => {
    const files = STAGES.filter((stage) => existsSync(join(root, stage))).flatMap((stage) =>
      readdirSync(join(root, stage))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => `${stage}.${f.replace(/\.ts$/, '')}`),
    );
    expect([...registry.keys()].sort()).toEqual(files.sort());
  });

  it('has no duplicate type names', () => {
    expect(registry.size).toBe(operators.length);
  });

  it('describes every param and gives it a default unless it must be set', () => {
    for (const spec of operators) {
      expect(spec.summary.length, spec.type).toBeGreaterThan(10);
      for (const p of paramDocs(spec)) expect(p.description, `${spec.type}.${p.name}`).not.toBe('');
      expect(spec.params instanceof z.ZodObject, `${spec.type} params are an object schema`).toBe(true);
    }
  });

  it('feature operators declare the names of what they emit', () => {
    for (const spec of operators.filter((s) => s.output === 'FeatureVector')) {
      expect(spec.kind === 'operator' && typeof spec.features, spec.type).toBe('function');
    }
  });
});

describe('operators stay deterministic', () => {
  const forbidden = /Date\.now\(|new Date\(\)|Math\.random\(|setTimeout\(|setInterval\(|performance\.now\(|process\.hrtime/;
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );

  it('no operator reads the wall clock, real timers or Math.random()', () => {
    const offenders = files(root)
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ f, i, line }))
          .filter(({ line }) => !/^\s*(\*|\/\/)/.test(line) && forbidden.test(line)),
      )
      .map(({ f, i, line }) => `${f}:${i + 1}: ${line.trim()}`);
    expect(offenders).toEqual([]);
  });
});
