// Loaded with `node --import` in front of the CLI by bench/targets.js: when the process exits,
// writes its own peak RSS and CPU (every thread's, user and system) as one JSON line to the file
// named by BENCH_USAGE_FILE. The figures are the whole process's, as the kernel counts them
// (getrusage: ru_maxrss, ru_utime, ru_stime), from Node's start to its exit.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.on('exit', (code) => {
    const u = process.resourceUsage();
    writeFileSync(file, `${JSON.stringify({ code, maxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime })}\n`);
  });
}
