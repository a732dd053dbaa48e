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
      'the features run refused 11 of its 1,000 events (1.1%, above --max-dead-letters 0.01: 1.0%); ' +
        'most for 6 "replay: crossed quote", 3 "normalised: non-finite feature", 1 "a: w"; ' +
        'see work/dead_letters.jsonl: repair the data, or raise --max-dead-letters to train on what is left',
    );
  });

  it('with a limit of 0, refuses any dead letter; a run of no events with dead letters is refused too', () => {
    expect(() => refuseDeadLetters(run(10 ** 6, { 'x: y': 1 }), 0, 'dl')).toThrow('1 of its 1,000,000 events (0.00010%');
    expect(() => refuseDeadLetters(run(0, { 'x: y': 2 }), 0.5, 'dl')).toThrow('2 of its 0 events');
  });
});
