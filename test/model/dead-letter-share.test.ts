import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_DEAD_LETTERS, refuseDeadLetters } from '../../pipelines/model/dead-letter-share.ts';

const run = (events: number, reasons: Record<string, number>) => ({
  events,
  dead_letters: Object.values(reasons).reduce((a, b) => a + b, 0),
  dead_letter_reasons: reasons,
});

describe('refuseDeadLetters', () => {
  it('lets a run train when its dead letters are at most the limit of its events', () => {
    expect(() => refuseDeadLetters(run(1000, {}), 0, 'dl')).not.toThrow();
    expect(() => refuseDeadLetters(run(1000, { 'replay: crossed quote': 10 }), DEFAULT_MAX_DEAD_LETTERS, 'dl')).not.toThrow();
    expect(() => refuseDeadLetters(run(1000, { 'replay: crossed quote': 11 }), 0.011, 'dl')).not.toThrow();
  });

  it('refuses one past the limit, with the share, the limit, the commonest three reasons and the file', () => {
    const reasons = { 'a: w': 1, 'replay: crossed quote': 6, 'normalised: non-finite feature': 3, 'b: z': 1 };
    expect(() => refuseDeadLetters(run(1000, reasons), DEFAULT_MAX_DEAD_LETTERS, 'work/dead_letters.jsonl')).toThrow(
      'the features run wrote 11 dead letters over its 1,000 events (1.1%, above --max-dead-letters 0.01: 1.0%); ' +
        'most for 6 "replay: crossed quote", 3 "normalised: non-finite feature", 1 "a: w"; ' +
        'see work/dead_letters.jsonl: repair the data, or raise --max-dead-letters (up to 1: any share) to train on what is left',
    );
  });

  it('with a limit of 0, refuses any dead letter; numbers are written in digits, never in exponent form', () => {
    expect(() => refuseDeadLetters(run(10 ** 6, { 'x: y': 1 }), 0, 'dl')).toThrow(
      '1 dead letters over its 1,000,000 events (0.00010%, above --max-dead-letters 0: 0%)',
    );
    expect(() => refuseDeadLetters(run(10 ** 6, { 'x: y': 5 }), 1e-9, 'dl')).toThrow(
      '(0.00050%, above --max-dead-letters 0.000000001: 0.00000010%)',
    );
    expect(() => refuseDeadLetters(run(0, { 'x: y': 2 }), 0.5, 'dl')).toThrow('2 dead letters over its 0 events');
  });

  it('with a limit of 1, lets any run train, more dead letters than events too (a node may refuse more than the sources gave)', () => {
    expect(() => refuseDeadLetters(run(100, { 'normalised: non-finite feature': 150 }), 1, 'dl')).not.toThrow();
    expect(() => refuseDeadLetters(run(100, { 'normalised: non-finite feature': 150 }), 0.99, 'dl')).toThrow('(150%, above');
  });
});
