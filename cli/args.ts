import type { ParseArgsConfig } from 'node:util';

/** A command line after `node:util` parseArgs: option values by long name, and the words left. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** One CLI command: its help, its options, and its code, loaded only when it runs. */
export interface CommandSpec {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Takes a subcommand word after the command. */
  positionals?: boolean;
  /** What an option takes and does for this command, where it differs from the shared text. */
  optionHelp?: Record<string, [value: string, text: string]>;
  load: () => Promise<{ default: (args: ParsedArgs) => Promise<number> }>;
}
