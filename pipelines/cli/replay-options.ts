/** The options of every command that replays a dataset through a topology (backtest, run, sweep). */
import type { Command } from 'commander';
import { dataFolder, fromDay, given, toDay } from './flag-values.ts';
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

export function replayOptions(command: Command, defaultOut: string, outHelp = 'output folder'): Command {
  return command
    .option('--data <dir>', 'dataset folder for every replay source (default: the topology\'s "data:")', dataFolder)
    .option('--lake <dir>', 'the lake folder that replay sources with store: lake read (docs/lake.md)', lakeFolder, 'data/lake')
    .option('--out <dir>', outHelp, given('--out', 'an output folder'), defaultOut)
    .option('--set <NODE.PARAM=VALUE>', 'override one param (repeatable)', collect, [])
    .option('--from <date>', 'replay only the trading days from this date (YYYY-MM-DD)', fromDay)
    .option('--to <date>', 'replay only the trading days up to this date (YYYY-MM-DD)', toDay)
    .option('--quiet', 'no progress output');
}
