import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateTypes } from '../../schemas/generate-types.ts';
import { avroSchemas } from '../../schemas/avro.ts';
import { SCHEMA_NAMES } from '../../schemas/types.generated.ts';

describe('schemas', () => {
  it('types.generated.ts is what the .avsc files generate (run `npm run gen:types` after editing a schema)', () => {
    const committed = readFileSync(new URL('../../schemas/types.generated.ts', import.meta.url), 'utf8');
    expect(committed).toBe(generateTypes());
  });

  it('every record has ts_event and ts_known as timestamp-micros longs', () => {
    for (const schema of avroSchemas().values()) {
      for (const name of ['ts_event', 'ts_known']) {
        const field = schema.fields.find((f) => f.name === name);
        expect(field?.type, `${schema.name}.${name}`).toEqual({ type: 'long', logicalType: 'timestamp-micros' });
      }
    }
  });

  it('records that can be corrected carry an identity and a version', () => {
    for (const name of ['Quote', 'Trade']) {
      const fields = avroSchemas()
        .get(name)!
        .fields.map((f) => f.name);
      expect(fields).toEqual(expect.arrayContaining(['id', 'version', 'seq']));
    }
  });

  it('has the event types of the graph', () => {
    expect(SCHEMA_NAMES).toEqual(
      expect.arrayContaining([
        'Quote',
        'Trade',
        'Bar',
        'FeatureVector',
        'CrossSection',
        'Prediction',
        'Signal',
        'TargetWeights',
        'Order',
        'Fill',
        'DeadLetter',
        'PortfolioState',
      ]),
    );
  });
});
