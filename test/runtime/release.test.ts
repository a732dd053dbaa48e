/**
 * What a node holds outside the process is let go of at every end of a run (OperatorContext.onRelease):
 * a replay of a capture that fails, a live run that fails after its graph was built and before the
 * driver took it (its capture file cannot be made), and sink.redis whose connection opened while its
 * dataset cannot take the records (a Redis of a few lines on loopback answers the client's commands);
 * and a backtest that fails. finish-nodes.test.ts has the hooks themselves.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SECOND } from '../../lib/core/time.ts';
import { registry } from '../../operators/index.ts';
import { handle } from '../../operators/sdk/handle.ts';
import { type AnySpec, defineOperator, definePorts } from '../../operators/sdk/spec.ts';
import { runCapture, runGraph, runLive } from '../../pipelines/harness/harness.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';
import type { Quote } from '../../schemas/types.generated.ts';
import { quote, session, T0 } from '../helpers/records.ts';
import { wallQuotes } from '../helpers/wall-quotes.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-release-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const seen: string[] = [];
let breakAtEnd = false;
const holder = defineOperator({
  type: 'test.holder',
  summary: 'Test: holds a resource, let go of at the end.',
  inputs: definePorts({ quotes: { schema: 'Quote', description: 'Quotes.' } }),
  output: null,
  params: z.strictObject({}),
  create: (_p, ctx) => () => {
    seen.push('opened');
    ctx.onRelease(() => void seen.push('released'));
    return handle<never>(ctx, []);
  },
});
const breaker = defineOperator({
  type: 'test.breaker',
  summary: 'Test: fails at the end of the run when told.',
  inputs: definePorts({ quotes: { schema: 'Quote', description: 'Quotes.' } }),
  output: null,
  params: z.strictObject({}),
  create: (_p, ctx) => () => {
    ctx.atEnd(() => {
      if (breakAtEnd) throw new Error('a broken sink');
    });
    return handle<never>(ctx, []);
  },
});
const batches: Quote[][] = [[quote('A', T0 + 10 * SECOND, 99, 101, 1)]];
function topo(spec: AnySpec, yaml: string, extra: [string, AnySpec][] = []) {
  const specs = new Map<string, AnySpec>([
    ...registry,
    ['test.wall-quotes', spec],
    ['test.holder', holder],
    ['test.breaker', breaker],
    ...extra,
  ]);
  const { topology, problems } = validateTopology(loadTopology('r.yaml', [], yaml), specs);
  if (!topology) throw new Error(problems.map((p) => p.message).join('\n'));
  return topology;
}
const YAML = `name: rel
nodes:
  - { name: quotes, type: test.wall-quotes }
  - { name: break, type: test.breaker, inputs: { quotes: quotes } }
  - { name: hold, type: test.holder, inputs: { quotes: quotes } }
`;

describe('release hooks at every end of a run', () => {
  it('a backtest that fails runs them, where its end-of-run hooks are never reached', async () => {
    seen.length = 0;
    breakAtEnd = true;
    const { spec } = wallQuotes(batches);
    await expect(runGraph(topo(spec, YAML), { sessions: [session()] })).rejects.toThrow('a broken sink');
    expect(seen).toEqual(['opened', 'released']);
  });

  it('a replay of a capture that fails runs them', async () => {
    seen.length = 0;
    const { spec, time } = wallQuotes(batches);
    const topology = topo(spec, YAML);
    const capture = join(dir, 'a.alog');
    breakAtEnd = false;
    await runLive(topology, time, { sessions: [session()], universe: [], capture });
    expect(seen).toEqual(['opened', 'released']);
    seen.length = 0;
    breakAtEnd = true;
    await expect(runCapture(topology, capture, { sessions: [session()], universe: [] })).rejects.toThrow('a broken sink');
    expect(seen).toEqual(['opened', 'released']);
  });

  it('a live run that fails after its graph was built, before the driver took it, runs them', async () => {
    seen.length = 0;
    breakAtEnd = false;
    const { spec, time } = wallQuotes(batches);
    const topology = topo(spec, YAML);
    const capture = join(dir, 'exists.alog');
    writeFileSync(capture, 'x');
    await expect(runLive(topology, time, { sessions: [session()], universe: [], capture })).rejects.toThrow(/EEXIST/);
    expect(seen).toEqual(['opened', 'released']);
  });

  it('a graph whose node cannot be made runs those of the nodes made before it', async () => {
    seen.length = 0;
    const unmakeable = defineOperator({
      type: 'test.unmakeable',
      summary: 'Test: its create throws.',
      inputs: definePorts({ quotes: { schema: 'Quote', description: 'Quotes.' } }),
      output: null,
      params: z.strictObject({}),
      create: () => () => {
        throw new Error('cannot be made');
      },
    });
    const { spec } = wallQuotes(batches);
    const topology = topo(
      spec,
      `name: rel
nodes:
  - { name: quotes, type: test.wall-quotes }
  - { name: hold, type: test.holder, inputs: { quotes: quotes } }
  - { name: broken, type: test.unmakeable, inputs: { quotes: quotes } }
`,
      [['test.unmakeable', unmakeable]],
    );
    await expect(runGraph(topology, { sessions: [session()] })).rejects.toThrow('cannot be made');
    for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['opened', 'released']);
  });

  it('sink.redis whose dataset cannot take its records lets go of the connection it opened', async () => {
    // INFO answers the client's ready check; HGET of the dataset's meta says it holds Bar records.
    const open = new Set<Socket>();
    let connections = 0;
    const server = createServer((s) => {
      connections++;
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {});
      let buf = Buffer.alloc(0);
      s.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        // Commands as RESP arrays of bulk strings: *N\r\n($len\r\nword\r\n)*
        for (;;) {
          const text = buf.toString('latin1');
          const m = /^\*(\d+)\r\n/.exec(text);
          if (!m) return;
          let at = m[0].length;
          const words: string[] = [];
          let ok = true;
          for (let i = 0; i < Number(m[1]); i++) {
            const l = /^\$(\d+)\r\n/.exec(text.slice(at));
            if (!l) {
              ok = false;
              break;
            }
            at += l[0].length;
            if (text.length < at + Number(l[1]) + 2) {
              ok = false;
              break;
            }
            words.push(text.slice(at, at + Number(l[1])));
            at += Number(l[1]) + 2;
          }
          if (!ok) return;
          buf = buf.subarray(at);
          const cmd = words[0]!.toUpperCase();
          const bulk = (v: string) => `$${Buffer.byteLength(v)}\r\n${v}\r\n`;
          if (cmd === 'INFO') s.write(bulk('# Server\r\nredis_version:7.0.0\r\nloading:0\r\n'));
          else if (cmd === 'HGET') s.write(bulk('Bar'));
          else s.write('+OK\r\n');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const { spec } = wallQuotes(batches);
    const topology = topo(
      spec,
      `name: rel
nodes:
  - { name: quotes, type: test.wall-quotes }
  - { name: hot, type: sink.redis, params: { url: "redis://127.0.0.1:${port}", dataset: quotes }, inputs: { records: quotes } }
`,
    );
    await expect(runGraph(topology, { sessions: [session()] })).rejects.toThrow(/holds Bar records/);
    await new Promise((r) => setTimeout(r, 500));
    expect(connections).toBe(1);
    try {
      expect(open.size).toBe(0);
    } finally {
      for (const s of open) s.destroy();
      server.close();
    }
  });
});
