/**
 * source.kafka at validation (no broker): CrossSection and FeatureVector records carry feature
 * columns the graph must know before the run, so the source declares them (`features`), and the
 * nodes after it (sink.parquet, model.onnx) are checked against them as after feature.cross-section.
 * The same records through the real broker: test/kafka/operators.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../pipelines/topology/problems.ts';
import { validate } from '../../topology/helpers.ts';

const source = (params: string) => `name: in
nodes:
  - { name: feed, type: source.kafka, params: { topic: t.cs, group: g, ${params} } }
`;

/** The default model's feature names, as its card lists them. */
const cardFeatures = (
  JSON.parse(readFileSync(new URL('../../../models/default/card.json', import.meta.url), 'utf8')) as {
    feature_names: string[];
  }
).feature_names;

const problemsOf = (text: string) => validate(text).problems.map(formatProblem);

describe('source.kafka: the feature columns of CrossSection and FeatureVector records', () => {
  it('a CrossSection or FeatureVector source without features is refused, saying what to add; features on another schema too', () => {
    for (const schema of ['CrossSection', 'FeatureVector']) {
      const problems = problemsOf(source(`schema: ${schema}`));
      expect(problems, schema).toHaveLength(1);
      expect(problems[0], schema).toMatch(
        new RegExp(
          `bad\\.yaml:3:\\d+ node "feed": .*features.*schema ${schema} needs the feature names its records carry, in column order \\(e\\.g\\. features: \\[`,
        ),
      );
    }
    expect(problemsOf(source('schema: Quote, features: [f1]'))).toEqual([
      expect.stringMatching(
        /node "feed": .*Quote records carry no feature columns: features applies to CrossSection and FeatureVector only; remove it/,
      ),
    ]);
    expect(problemsOf(source('schema: CrossSection, features: [f1, f1]'))).toEqual([
      expect.stringMatching(/node "feed": .*features.*has a name twice/),
    ]);
    expect(problemsOf(source('schema: CrossSection, features: []'))).toHaveLength(1);
    // Names, not text: a newline would split every message naming it, a path would be a column name.
    for (const bad of ['"a\\nb"', "'../x'", "''"])
      expect(problemsOf(source(`schema: CrossSection, features: [f1, ${bad}]`)), bad).toEqual([
        expect.stringMatching(/node "feed": .*features.*a feature name/),
      ]);
  });

  it('a broker outside ports 1 to 65535 is refused at validation, naming it', () => {
    expect(problemsOf(source("schema: Quote, brokers: 'a:9092,127.0.0.1:99999'"))).toEqual([
      expect.stringMatching(/node "feed": .*brokers.*"127\.0\.0\.1:99999" is not host:port with a port from 1 to 65535/),
    ]);
    expect(problemsOf(source("schema: Quote, brokers: 'a:9092,'"))).toEqual([]);
  });

  it('a feature named as a fixed column of the cross-section table is refused at validation, not at the end of the run', () => {
    for (const schema of ['CrossSection', 'FeatureVector'])
      expect(problemsOf(source(`schema: ${schema}, features: [f1, symbol, price]`)), schema).toEqual([
        expect.stringMatching(
          /node "feed": .*feature names symbol, price are the names of a cross-section's fixed columns \(ts_event, ts_known, symbol, price\)/,
        ),
      ]);
  });

  it('the declared features reach the graph: model.onnx is checked against them, as after feature.cross-section', () => {
    const withModel = (
      features: readonly string[],
    ) => `${source(`schema: CrossSection, features: [${features.map((f) => JSON.stringify(f)).join(', ')}]`)}  - { name: model, type: model.onnx, inputs: feed, params: { model: models/default } }
  - { name: save, type: sink.parquet, inputs: model, params: { file: predictions.parquet } }
`;
    // The review's case: before, the topology delivered 0 features and model.onnx could not be fed at all.
    expect(cardFeatures.length).toBeGreaterThan(100);
    expect(problemsOf(withModel(cardFeatures))).toEqual([]);
    const refused = problemsOf(withModel(['f1', 'f2']));
    expect(refused).toEqual([
      expect.stringMatching(new RegExp(`node "model": .*expects ${cardFeatures.length} features, the topology delivers 2`)),
    ]);
  });
});
