/**
 * Type-level tests: what `defineOperator` infers for an operator's inputs and output. They fail at
 * `npm run typecheck` (and in vitest) when the inference changes.
 */
import { type Observable, of } from 'rxjs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { ColumnBatch, type ColumnsOf, type EdgeBatch, type NumberColumn, type StringColumn } from '../../../lib/core/column-batch.ts';
import { handle, handlePorts, on, type Emit } from '../../../operators/sdk/handle.ts';
import {
  defineOperator,
  defineSource,
  outputPorts,
  outputSchema,
  outputSchemas,
  type Batch,
  type PortStreams,
} from '../../../operators/sdk/spec.ts';
import { replay } from '../../../operators/source/replay.ts';
import { simBroker } from '../../../operators/execution/sim-broker.ts';
import type { onnxModel } from '../../../operators/model/onnx.ts';
import type { NodeContext } from '../../../pipelines/runtime/node-context.ts';
import type {
  Bar,
  BookDepth,
  FeatureVector,
  Fill,
  OrderState,
  PortfolioState,
  Quote,
  SchemaName,
  Trade,
} from '../../../schemas/types.generated.ts';
import { bars } from '../../../operators/feature/bars.ts';
import type { crossSection } from '../../../operators/feature/cross-section.ts';

describe('operator spec types', () => {
  it('gives each port the stream of its schema: optional ports may be undefined, variadic ones are lists', () => {
    type Ports = {
      quotes: { schema: 'Quote'; description: string };
      trades: { schema: 'Trade'; optional: true; description: string };
      features: { schema: 'FeatureVector'; variadic: true; description: string };
      portfolio: { schema: 'PortfolioState'; feedback: true; description: string };
      anything: { schema: '*'; description: string };
    };
    expectTypeOf<PortStreams<Ports>['quotes']>().toEqualTypeOf<Observable<EdgeBatch<Quote>>>();
    expectTypeOf<PortStreams<Ports>['trades']>().toEqualTypeOf<Observable<EdgeBatch<Trade>> | undefined>();
    expectTypeOf<PortStreams<Ports>['features']>().toEqualTypeOf<Observable<EdgeBatch<FeatureVector>>[]>();
    expectTypeOf<PortStreams<Ports>['portfolio']>().toEqualTypeOf<Observable<EdgeBatch<PortfolioState>>>();
    expectTypeOf<PortStreams<Ports>['anything']>().toEqualTypeOf<Observable<EdgeBatch<unknown>>>();
  });

  it('infers the params from the zod schema and the output from the spec', () => {
    expectTypeOf(outputSchemas(bars)).toEqualTypeOf<readonly SchemaName[]>();
    expect(outputSchemas(bars)).toEqual(['Bar']);
    expectTypeOf<Parameters<typeof bars.create>[0]>().toEqualTypeOf<{ minutes: number }>();
    expectTypeOf<ReturnType<ReturnType<typeof bars.create>>>().toEqualTypeOf<Observable<EdgeBatch<Bar>>>();
    expectTypeOf<Parameters<ReturnType<typeof crossSection.create>>[0]['features']>().toEqualTypeOf<
      Observable<EdgeBatch<FeatureVector>>[]
    >();
  });

  it('refuses a factory whose stream does not match the declared output', () => {
    defineOperator({
      type: 'test.wrong-output',
      summary: 'Declares Bar but emits quotes.',
      inputs: { quotes: { schema: 'Quote', description: 'Quotes.' } },
      output: 'Bar',
      params: z.strictObject({}),
      create:
        () =>
        ({ quotes }) =>
          // @ts-expect-error — a stream of quotes is not a stream of bars
          quotes,
    });
    defineSource({
      type: 'test.source',
      summary: 'A source must read records of its output schema.',
      output: 'Quote',
      params: z.strictObject({}),
      open: () => ({ next: async () => null, close: async () => {} }),
    });
    expectTypeOf(of([] as Quote[])).toEqualTypeOf<Observable<Quote[]>>();
  });
});

declare const ctx: NodeContext;
declare const quotes: Observable<EdgeBatch<Quote>>;
/** Type-checked, never run (ctx and quotes exist only as types). */
const typeOnly = (_check: () => void): void => {};

describe('typed handlers', () => {
  it("carry the port's record type into the handler and the output type into emit", () =>
    typeOnly(() => {
      handle<Bar>(ctx, [
        on(quotes, (batch, emit) => {
          expectTypeOf(batch).toEqualTypeOf<Batch<Quote>>();
          expectTypeOf(emit).toEqualTypeOf<Emit<Bar>>();
        }),
      ]);
    }));

  it("refuse a handler that reads another record type than its port's", () =>
    typeOnly(() => {
      // @ts-expect-error — a handler of fills cannot be bound to a port of quotes
      on(quotes, (batch: Batch<Fill>) => batch.length);
      handle<Bar>(ctx, [
        // @ts-expect-error — emit takes bars, not quotes
        on(quotes, (batch, emit) => emit(batch)),
      ]);
    }));
});

describe('multiple output ports', () => {
  it('make the factory return one stream per port, `out` for the main one', () => {
    type Streams = ReturnType<ReturnType<typeof simBroker.create>>;
    expectTypeOf<Streams['out']>().toEqualTypeOf<Observable<EdgeBatch<Fill>>>();
    expectTypeOf<Streams['states']>().toEqualTypeOf<Observable<EdgeBatch<OrderState>>>();
    expect(outputPorts(simBroker, simBroker.params.parse({}))).toEqual({ out: 'Fill', states: 'OrderState' });
  });

  it('refuse a factory that returns a single stream when the spec declares ports', () => {
    defineOperator({
      type: 'test.two-ports',
      summary: 'Declares a second port but returns one stream.',
      inputs: { quotes: { schema: 'Quote', description: 'Quotes.' } },
      output: 'Quote',
      outputs: { trades: 'Trade' },
      params: z.strictObject({}),
      create:
        () =>
        ({ quotes }) =>
          // @ts-expect-error — the spec has a `trades` port: the factory must return { out, trades }
          quotes,
    });
    defineOperator({
      type: 'test.two-ports-ok',
      summary: 'Declares a second port and returns both.',
      inputs: { quotes: { schema: 'Quote', description: 'Quotes.' } },
      output: 'Quote',
      outputs: { trades: 'Trade' },
      params: z.strictObject({}),
      create:
        (_p, c) =>
        ({ quotes }) =>
          handlePorts<{ out: Quote; trades: Trade }>(
            c,
            ['out', 'trades'],
            [
              on(quotes, (batch, emit) => {
                emit.out(batch);
                // @ts-expect-error — quotes are not trades
                emit.trades(batch);
              }),
            ],
          ),
    });
  });
});

describe('output schemas chosen by the params', () => {
  it('give the union of the possible records, and the one the params choose', () => {
    type Reader = ReturnType<typeof replay.open>;
    expectTypeOf<Awaited<ReturnType<Reader['next']>>>().toEqualTypeOf<EdgeBatch<
      (Quote | Trade | BookDepth) & { ts_known: number; seq: number }
    > | null>();
    expect(outputSchema(replay, replay.params.parse({}))).toBe('Quote');
    expect(outputSchema(replay, replay.params.parse({ schema: 'Trade' }))).toBe('Trade');
    expect(outputSchema(replay, replay.params.parse({ schema: 'BookDepth' }))).toBe('BookDepth');
    expect(outputSchemas(replay)).toEqual(['Quote', 'Trade', 'BookDepth']);
  });

  it('refuse a choice outside the declared schemas', () => {
    defineSource({
      type: 'test.choose',
      summary: 'Chooses among quotes and trades.',
      // @ts-expect-error — 'Bar' is not one of oneOf
      output: { oneOf: ['Quote', 'Trade'], of: () => 'Bar' },
      params: z.strictObject({}),
      open: () => ({ next: async () => null, close: async () => {} }),
    });
  });
});

describe('prepared state', () => {
  it("types ctx.prepared as what the operator's prepare resolves to", () => {
    type Prepared = Parameters<typeof onnxModel.create>[1]['prepared'];
    expectTypeOf<Prepared>().not.toBeUnknown();
    expectTypeOf<NonNullable<Prepared>>().toEqualTypeOf<Awaited<ReturnType<NonNullable<typeof onnxModel.prepare>>>>();
  });
});

describe('column batches', () => {
  it("type each field's column by the record's field type, and a row view as the record", () => {
    expectTypeOf<ColumnsOf<Quote>['bid']>().toEqualTypeOf<NumberColumn>();
    expectTypeOf<ColumnsOf<Quote>['symbol']>().toEqualTypeOf<StringColumn<string>>();
    expectTypeOf<ColumnsOf<Trade>['aggressor']>().toEqualTypeOf<StringColumn<Trade['aggressor']>>();
    expectTypeOf<ColumnsOf<Fill>['liquidity']>().toEqualTypeOf<StringColumn<Fill['liquidity']>>();
    expectTypeOf<ReturnType<ColumnBatch<Quote>['row']>>().toEqualTypeOf<Quote>();
  });

  it('refuse a column of the wrong type', () => {
    ColumnBatch.of<{ bid: number; symbol: string }>(1, {
      // @ts-expect-error — a number field needs a numeric typed array
      bid: ['1'],
      symbol: { codes: Int32Array.of(0), dictionary: ['A'] },
    });
  });
});
