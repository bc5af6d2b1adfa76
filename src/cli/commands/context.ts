/** What every command module shares: the process's streams and clock, the run's exit code, the module's shape. */
import type { Argv } from 'yargs';
import { checkConfig, type AuditConfig } from '../../config/config.js';
import { CONFIG_MAX_BYTES, readJsonFile } from '../../io/files.js';
import type { CommandName } from '../../config/options.js';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** The clock: read once per run, at its start (and its end for finishedAt). */
  now: () => Date;
  /** Registers interrupt handlers; returns a function that removes them. */
  onSignal?: (handler: (signal: string) => void) => () => void;
  /**
   * Ends the process at once with this exit code (the binary: process.exit), for a run that must
   * stop without waiting for the work still in flight (a second interrupt). Only src/cli/main.ts calls it.
   */
  exit?: (code: number) => void;
  /** Called when the emulator command is serving, so tests can stop it. */
  onServe?: (stop: () => Promise<void>) => void;
}

/** The run's exit code, set by the command (src/cli/main.ts maps errors). */
export interface RunState { code: number }

export interface CommandContext { io: CliIO; state: RunState }

/**
 * A command: its name, its yargs command string (the name and its positionals), its description,
 * and its handler. Its flags come from the options table (src/config/options.ts).
 */
export interface CommandModule {
  name: CommandName;
  command: string;
  describe: string;
  /** Flags to list first in the help, in this order (the others follow in the table's order). */
  helpOrder?: readonly string[];
  /** Positionals, usage text and epilogue: what the options table does not give. */
  builder?: (y: Argv) => Argv;
  run: (argv: Record<string, unknown>, ctx: CommandContext) => Promise<void> | void;
}

/** The config file of --config, checked; an empty config without one. */
export function loadConfig(path: string | undefined): AuditConfig {
  if (!path) return {};
  return checkConfig(path, readJsonFile(path, '--config', CONFIG_MAX_BYTES));
}
