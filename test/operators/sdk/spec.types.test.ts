/**
 * Type-level tests: what `defineOperator` infers for an operator's inputs and output. They fail at
 * `npm run typecheck` (and in vitest) when the inference changes.
 */
import { Observable, of } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineOperator, defineSource, type Batch, type PortStreams } from '../../../operators/sdk/spec.ts';
import type { Bar, FeatureVector, PortfolioState, Quote, Trade } from '../../../schemas/types.generated.ts';
import { bars } from '../../../operators/feature/bars.ts';
import { crossSection } from '../../../operators/feature/cross-section.ts';

describe('operator spec types', () => {
  it('gives each port the stream of its schema: optional ports may be undefined, variadic ones are lists', () => {
    type Ports = {
      quotes: { schema: 'Quote'; description: string };
      trades: { schema: 'Trade'; optional: true; description: string };
      features: { schema: 'FeatureVector'; variadic: true; description: string };
      portfolio: { schema: 'PortfolioState'; feedback: true; description: string };
      anything: { schema: '*'; description: string };
    };
    expectTypeOf<PortStreams<Ports>['quotes']>().toEqualTypeOf<Observable<Batch<Quote>>>();
    expectTypeOf<PortStreams<Ports>['trades']>().toEqualTypeOf<Observable<Batch<Trade>> | undefined>();
    expectTypeOf<PortStreams<Ports>['features']>().toEqualTypeOf<Observable<Batch<FeatureVector>>[]>();
    expectTypeOf<PortStreams<Ports>['portfolio']>().toEqualTypeOf<Observable<Batch<PortfolioState>>>();
    expectTypeOf<PortStreams<Ports>['anything']>().toEqualTypeOf<Observable<Batch<unknown>>>();
  });

  it('infers the params from the zod schema and the output from the spec', () => {
    expectTypeOf(bars.output).toEqualTypeOf<'Bar'>();
    expectTypeOf<Parameters<typeof bars.create>[0]>().toEqualTypeOf<{ minutes: number }>();
    expectTypeOf<ReturnType<ReturnType<typeof bars.create>>>().toEqualTypeOf<Observable<Batch<Bar>>>();
    expectTypeOf<Parameters<ReturnType<typeof crossSection.create>>[0]['features']>()
      .toEqualTypeOf<Observable<Batch<FeatureVector>>[]>();
  });

  it('refuses a factory whose stream does not match the declared output', () => {
    defineOperator({
      type: 'test.wrong-output',
      summary: 'Declares Bar but emits quotes.',
      inputs: { quotes: { schema: 'Quote', description: 'Quotes.' } },
      output: 'Bar',
      params: z.strictObject({}),
      // @ts-expect-error — a stream of quotes is not a stream of bars
      create: () => ({ quotes }) => quotes,
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
