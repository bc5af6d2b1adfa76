/** Errors the CLI maps to exit code 2 with a one-line message and no stack trace. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Bad configuration: names the file, the JSON path and what was expected. */
export class ConfigError extends UserError {
  constructor(file: string, path: string | null, expected: string) {
    super(path === null ? `${file}: ${expected}` : `${file}: ${path || '(root)'}: ${expected}`);
    this.name = 'ConfigError';
  }
}

export const EXIT = {
  ok: 0,
  findings: 1,
  error: 2,
  partial: 3,
} as const;
