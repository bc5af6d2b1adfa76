#!/usr/bin/env node
/** How much the heap may grow past what survived a full collection, in percent (V8's own heuristic allows up to 300). */
const HEAP_GROWING_PERCENT = 50;
// The SDK warns that releases after January 2027 will need Node 22; this build is pinned and
// supports Node 20, so the warning would only clutter cron mails.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// After each full garbage collection V8 lets the heap grow to up to about four times what survived
// before it collects again: for an organisation's report (about 190 MB live at 150,000 instances)
// that was 1 GB of resident memory, most of it garbage. Growing by half at most holds the
// same run under 512 MB at the same wall and CPU (docs/performance.md). A heap policy given on the
// command line (node --heap-growing-percent=N) is left as it is.
if (!process.execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a))) {
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
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
