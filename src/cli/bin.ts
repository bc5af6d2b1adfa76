#!/usr/bin/env node
// The SDK warns that releases after January 2027 will need Node 22; this build is pinned and
// supports Node 20, so the warning would only clutter cron mails.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { run } = await import('./main.js');
const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: () => new Date(),
  exit: (code) => process.exit(code),
  onSignal: (handler) => {
    const on = (sig: NodeJS.Signals) => handler(sig);
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
    return () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
  },
});
process.exitCode = code;
