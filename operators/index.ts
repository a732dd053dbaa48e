/**
 * The registry: every operator type, imported explicitly. The validator, `alpha ops`, the JSON Schema
 * of topology.yaml and docs/operators.md are all generated from it. A test fails when an operator
 * file is missing here.
 */
import type { AnySpec } from './sdk/spec.ts';
import { replay } from './source/replay.ts';
import { itch } from './source/itch.ts';
import { redisSource } from './source/redis.ts';
import { kafkaSource } from './source/kafka.ts';
import { bars } from './feature/bars.ts';
import { laggedReturns } from './feature/lagged-returns.ts';
import { volatility } from './feature/volatility.ts';
import { microstructure } from './feature/microstructure.ts';
import { barStats } from './feature/bar-stats.ts';
import { crossSection } from './feature/cross-section.ts';
import { relative } from './feature/relative.ts';
import { rankGaussOperator } from './feature/rank-gauss.ts';
import { ridge } from './model/ridge.ts';
import { onnxModel } from './model/onnx.ts';
import { crossSectional } from './signal/cross-sectional.ts';
import { proportional } from './portfolio/proportional.ts';
import { mvo } from './risk/mvo.ts';
import { accounting } from './portfolio/accounting.ts';
import { orders } from './execution/orders.ts';
import { bookBroker } from './execution/book-broker.ts';
import { simBroker } from './execution/sim-broker.ts';
import { ouch } from './execution/ouch.ts';
import { twap } from './execution/twap.ts';
import { vwap } from './execution/vwap.ts';
import { pov } from './execution/pov.ts';
import { pretrade } from './risk/pretrade.ts';
import { parquetSink } from './sink/parquet.ts';
import { redisSink } from './sink/redis.ts';
import { kafkaSink } from './sink/kafka.ts';
import { barReplay } from './source/bar-replay.ts';
import { barQuotes } from './feature/bar-quotes.ts';
import { linear } from './model/linear.ts';
import { barBroker } from './execution/bar-broker.ts';

export const operators: readonly AnySpec[] = [
  replay,
  itch,
  redisSource,
  kafkaSource,
  bars,
  laggedReturns,
  volatility,
  microstructure,
  barStats,
  crossSection,
  relative,
  rankGaussOperator,
  ridge,
  onnxModel,
  crossSectional,
  proportional,
  accounting,
  mvo,
  pretrade,
  orders,
  twap,
  vwap,
  pov,
  simBroker,
  bookBroker,
  ouch,
  parquetSink,
  redisSink,
  kafkaSink,
  barReplay,
  barQuotes,
  linear,
  barBroker,
];

export const registry: ReadonlyMap<string, AnySpec> = new Map(operators.map((s) => [s.type, s]));
