/**
 * An --out that is, holds or lies inside what the run reads is refused before anything is written:
 * with --overwrite, `alpha backtest --data D --out D` replaced the dataset it had just read by its
 * own results (and a folder holding the topology lost it); without, an --out inside the data folder
 * wrote the run into the dataset (and `alpha venue flow --out` its ITCH file over the manifest); `alpha
 * live` emptied the data folder, and a capture replay replaced the live run's folder, capture and all. Through the real CLI, the launches side by side.
 */
import { copyFileSync, cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../operators/index.ts';
import { CaptureWriter } from '../../pipelines/io/capture-log.ts';
import { resolveTopology } from '../../pipelines/runtime/backtest.ts';
import { capturedNodes } from '../../pipelines/runtime/drive-capture.ts';
import { type CliRun, ROOT, runAlpha } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';
import { snapshot } from '../helpers/tree.ts';

let top: string;
let data: string;
let before: { data: string[]; top: string[] };
let runs: Record<string, CliRun>;

beforeAll(async () => {
  top = tempDir('out-inputs');
  data = join(top, 'nest', 'data');
  mkdirSync(join(top, 'nest'));
  cpSync(await dataset({ symbols: 2, days: 1, seed: 3 }), data, { recursive: true });
  symlinkSync(data, join(top, 'data-link'));
  mkdirSync(join(top, 'topo'));
  copyFileSync(join(ROOT, 'topology.yaml'), join(top, 'topo', 'topology.yaml'));
  // The folder of a live run, its capture in it.
  mkdirSync(join(top, 'live-run'));
  const nodes = capturedNodes(resolveTopology(join(ROOT, 'examples/live-venue.yaml'), [], registry, 'live'));
  const capture = new CaptureWriter(join(top, 'live-run', 'capture.alog'), {
    start: 1,
    universe: [],
    sessions: [{ open: 1, close: 2 }],
    nodes,
  });
  capture.wake(1);
  capture.end(2);
  capture.close();
  // What the topology's nodes read besides the data: a copy of the model, a latency file, a lake.
  cpSync(join(ROOT, 'models/default'), join(top, 'model'), { recursive: true });
  mkdirSync(join(top, 'latency'));
  writeFileSync(join(top, 'latency', 'order.txt'), '100\n');
  mkdirSync(join(top, 'lake'));
  writeFileSync(join(top, 'lake', 'keep.txt'), 'a table would be here\n');
  // A folder of the user's that `model evaluate` would have replaced without being asked.
  mkdirSync(join(top, 'notes'));
  writeFileSync(join(top, 'notes', 'notes.txt'), 'my notes\n');
  // model evaluate takes no --set: the topology, its model moved to the copy.
  const modelTopology = join(top, 'topo', 'own-model.yaml');
  writeFileSync(
    modelTopology,
    readFileSync(join(ROOT, 'topology.yaml'), 'utf8').replace(
      'params: { model: models/default }',
      `params: { model: ${join(top, 'model')} }`,
    ),
  );
  before = { data: snapshot(data), top: snapshot(top) };
  const ownModel = ['--set', `model.model=${join(top, 'model')}`];
  const backtest = (out: string, topology = 'topology.yaml') => [
    'backtest',
    topology,
    '--data',
    data,
    '--out',
    out,
    '--quiet',
    '--overwrite',
  ];
  const cases: Record<string, string[]> = {
    same: backtest(data),
    link: backtest(join(top, 'data-link')),
    parent: backtest(join(top, 'nest')),
    inside: backtest(join(data, 'quotes', 'run')),
    topology: backtest(join(top, 'topo'), join(top, 'topo', 'topology.yaml')),
    sweep: ['sweep', 'topology.yaml', '--data', data, '--out', data, '--grid', 'sizing.gamma=1', '--overwrite', '--quiet'],
    live: ['live', 'examples/live-venue.yaml', '--data', data, '--out', data, '--overwrite', '--seconds', '2', '--quiet'],
    // Its results would replace the live run's folder, capture and all.
    capture: [
      'backtest',
      'examples/live-venue.yaml',
      '--capture',
      join(top, 'live-run', 'capture.alog'),
      '--out',
      join(top, 'live-run'),
      '--overwrite',
    ],
    // A file: the background flow of the dataset's day, written into that dataset.
    // model train's features run replaces --work whole: as --out, the run met its own lock.
    work: [
      'model',
      'train',
      '--data',
      data,
      '--from',
      '2024-01-02',
      '--to',
      '2024-01-02',
      '--out',
      join(top, 'm'),
      '--work',
      join(top, 'm'),
    ],
    flow: ['venue', 'flow', '--data', data, '--date', '2024-01-02', '--out', join(data, 'manifest.json'), '--overwrite'],
    // --overwrite deleted the model folder a node reads, a latency file's folder, the lake.
    model: [...backtest(join(top, 'model')), ...ownModel],
    latency: [...backtest(join(top, 'latency')), '--set', `broker.order_latency_file=${join(top, 'latency', 'order.txt')}`],
    lake: [...backtest(join(top, 'lake')), '--lake', join(top, 'lake')],
    sweepModel: [
      'sweep',
      'topology.yaml',
      '--data',
      data,
      '--out',
      join(top, 'model'),
      '--grid',
      'sizing.gamma=1',
      '--overwrite',
      '--quiet',
      ...ownModel,
    ],
    // model evaluate replaced any --out, unasked: the model folder, and a folder of the user's.
    evaluateModel: ['model', 'evaluate', '--data', data, '--out', join(top, 'model'), '--quiet', '--topology', modelTopology],
    evaluateNotes: ['model', 'evaluate', '--data', data, '--out', join(top, 'notes'), '--quiet'],
  };
  const results = await Promise.all(Object.values(cases).map((args) => runAlpha(args, 60_000)));
  runs = Object.fromEntries(Object.keys(cases).map((k, i) => [k, results[i]!]));
}, 60_000);

describe('--out and what the run reads', () => {
  it.each([
    ['same', /--out \S+\/nest\/data: is the data folder \S+\/nest\/data, which this run reads; expected a folder of its own outside it/],
    ['link', /--out \S+\/data-link: is the data folder \S+\/nest\/data, which this run reads/],
    ['parent', /--out \S+\/nest: holds the data folder \S+\/nest\/data, which this run reads/],
    ['inside', /--out \S+\/nest\/data\/quotes\/run: is inside the data folder \S+\/nest\/data; expected a folder of its own outside it/],
    ['topology', /--out \S+\/topo: holds the topology \S+\/topo\/topology\.yaml, which this run reads/],
    ['sweep', /--out \S+\/nest\/data: is the data folder/],
    ['live', /--out \S+\/nest\/data: is the data folder \S+\/nest\/data, which this run reads/],
    ['capture', /--out \S+\/live-run: holds the capture \S+\/live-run\/capture\.alog, which this run reads/],
    ['work', /--work \S+\/m: is the model folder \(--out\) \S+\/m, which this run writes; expected a folder apart from it/],
    ['flow', /--out \S+\/nest\/data\/manifest\.json: is inside the data folder \S+\/nest\/data; expected a file outside it/],
    ['model', /--out \S+\/model: is the model of node "model" \S+\/model, which this run reads; expected a folder of its own outside it/],
    ['latency', /--out \S+\/latency: holds the order_latency_file of node "broker" \S+\/latency\/order\.txt, which this run reads/],
    ['lake', /--out \S+\/lake: is the lake \S+\/lake, which this run reads/],
    ['sweepModel', /--out \S+\/model: is the model of node "model"/],
    ['evaluateModel', /--out \S+\/model: is the model of node "model"/],
    [
      'evaluateNotes',
      /--out \S+\/notes: not empty \(1 entry: notes\.txt\), expected a new or empty folder, or --overwrite to replace it whole/,
    ],
  ])('refuses the case %s in one line, exit 1', (name, message) => {
    const r = runs[name]!;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^alpha: ${message.source}[^\\n]*\\n$`));
    expect(r.stdout).toBe('');
  });

  it('leaves the data, the topology and the folders around them as they were (no lock or staging folder either)', () => {
    expect(snapshot(data)).toEqual(before.data);
    expect(snapshot(top)).toEqual(before.top);
  });
});
