/** The options of every command that replays a dataset through a topology (backtest, run). */
import type { Command } from 'commander';

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
    .option('--data <dir>', 'dataset folder for every replay source (default: the topology\'s "data:")')
    .option('--lake <dir>', 'the lake folder that replay sources with store: lake read (docs/lake.md)', 'data/lake')
    .option('--out <dir>', outHelp, defaultOut)
    .option('--set <NODE.PARAM=VALUE>', 'override one param (repeatable)', collect, [])
    .option('--from <date>', 'replay only the trading days from this date (YYYY-MM-DD)')
    .option('--to <date>', 'replay only the trading days up to this date (YYYY-MM-DD)')
    .option('--quiet', 'no progress output');
}
