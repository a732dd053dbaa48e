/** The options of every command that replays a dataset through a topology (backtest, run, sweep). */
import type { Command } from 'commander';
import { AlphaError } from '../../lib/core/errors.ts';
import { lakeFolder } from './lake-options.ts';

export interface ReplayOptions {
  data?: string;
  lake: string;
  out: string;
  set: string[];
  from?: string;
  to?: string;
  quiet?: boolean;
}

export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * A parser refusing an empty value: `--data ""` would otherwise fall back to the topology's data
 * folder (or `--from ""` to the first day) without a word, as if the flag were not given.
 */
export const given =
  (flag: string, accepted: string) =>
  (value: string): string => {
    if (value.trim() === '') throw new AlphaError(`${flag} is empty: expected ${accepted}`);
    return value;
  };

export function replayOptions(command: Command, defaultOut: string, outHelp = 'output folder'): Command {
  return command
    .option(
      '--data <dir>',
      'dataset folder for every replay source (default: the topology\'s "data:")',
      given('--data', 'a dataset folder (manifest.json), or no --data for the topology\'s "data:"'),
    )
    .option('--lake <dir>', 'the lake folder that replay sources with store: lake read (docs/lake.md)', lakeFolder, 'data/lake')
    .option('--out <dir>', outHelp, given('--out', 'an output folder'), defaultOut)
    .option('--set <NODE.PARAM=VALUE>', 'override one param (repeatable)', collect, [])
    .option(
      '--from <date>',
      'replay only the trading days from this date (YYYY-MM-DD)',
      given('--from', 'a date YYYY-MM-DD, or no --from for the first day'),
    )
    .option(
      '--to <date>',
      'replay only the trading days up to this date (YYYY-MM-DD)',
      given('--to', 'a date YYYY-MM-DD, or no --to for the last day'),
    )
    .option('--quiet', 'no progress output');
}
