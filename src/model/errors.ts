/** Errors the CLI maps to exit code 2 with a one-line message and no stack trace. */
export class UserError extends Error {
  /** The process exit status this error ends the run with. */
  readonly exitCode: number = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * A mistake in how the command line is put together (an unknown flag or command, a value not
 * among the choices, a missing value, a flag given twice): exit 2, with a hint and a pointer to the
 * command's --help.
 */
export class UsageError extends UserError {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Bad configuration: names the file, the JSON path and what was expected. */
export class ConfigError extends UserError {
  constructor(file: string, path: string | null, expected: string) {
    super(path === null ? `${file}: ${expected}` : `${file}: ${path || '(root)'}: ${expected}`);
    this.name = 'ConfigError';
  }
}

/**
 * A report file could not be written completely (disk full, quota, file too large, I/O error).
 * No report file of the run is left in place: the run publishes all its files or none.
 */
export class WriteError extends UserError {
  override readonly exitCode: number = 4;
  constructor(message: string, readonly code: string | undefined) {
    super(message);
    this.name = 'WriteError';
  }
}

/**
 * The run stopped (an interrupt, its --deadline) before any scope was planned, during organisation
 * discovery: nothing was audited and no report written. Exit 3, coverage partial (here: none),
 * with one line saying where it stopped.
 */
export class StoppedEarlyError extends UserError {
  override readonly exitCode: number = 3;
  constructor(message: string) {
    super(message);
    this.name = 'StoppedEarlyError';
  }
}

export const EXIT = {
  ok: 0,
  findings: 1,
  error: 2,
  partial: 3,
  /** Reports could not be written (ENOSPC, EDQUOT, EFBIG, EIO): none of the run's files were kept. */
  writeFailed: 4,
  /** A second interrupt (SIGINT/SIGTERM): stopped at once, without a report (128 + SIGINT, as shells report it). */
  stopped: 130,
} as const;

/**
 * A second interrupt: the run stops at once, writing nothing more. A command rejects with it; the
 * CLI's one place for exit codes (src/cli/main.ts) turns it into EXIT.stopped and ends the process.
 */
export class StopNow extends Error {
  constructor(readonly signal: string) {
    super(`${signal} received again`);
    this.name = 'StopNow';
  }
}
