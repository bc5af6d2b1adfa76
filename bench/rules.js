// node bench/rules.js [--runs 7] [--scale F] [--dist DIR]: the CPU of the rules engine and the
// remediation plan at org scale (300 accounts x 17 regions, 150,000 instances, the realistic fleet
// of bench/run.js), without the network: the org fleet's records become an inventory in-process,
// then `evaluate` and `imagePlan` run --runs times each (one warm-up first). Prints one JSON line
// with the median CPU seconds of each, the findings they made and a digest of the findings and the
// plan (two builds that agree give the same digest).
// Needs the build (npm run build); --dist names another build of the project (default: dist).
// An engine built before the as-of became epoch milliseconds is given a luxon DateTime instead.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { orgFleet } from './org-fleet.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const runs = Number(opt('runs', '7'));
const scale = Number(opt('scale', '1'));
const dist = pathToFileURL(`${opt('dist', new URL('../dist', import.meta.url).pathname)}/`);
const lib = (p) => import(new URL(p, dist).href);
const [{ generateFleet }, { evaluate, DEFAULT_SETTINGS }, { ok: okScope }, { imagePlan }, { sortInstances, sortCoverage }] = await Promise.all([
  lib('emulator/generate.js'), lib('rules/engine.js'), lib('model/coverage.js'), lib('report/plan.js'), lib('report/build.js'),
]);

const { records, coverage } = orgFleet({ generateFleet, okScope }, scale);
const instances = sortInstances(records);
const cov = sortCoverage(coverage);

const AS_OF = '2026-11-26T00:00:00Z';
const engineText = readFileSync(new URL('rules/engine.js', dist), 'utf8');
const asOf = engineText.includes("from 'luxon'")
  ? (await import('luxon')).DateTime.fromISO(AS_OF, { zone: 'utc' })
  : Date.parse(AS_OF);
// the project's settings for a bench: a window and an age that flag part of the fleet, a tag column
const settings = { ...DEFAULT_SETTINGS, tagColumns: ['team'] };

const cpu = (fn) => {
  const c = process.cpuUsage();
  const v = fn();
  const d = process.cpuUsage(c);
  return [(d.user + d.system) / 1e6, v];
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const evalS = [];
const planS = [];
let findings = 0;
let digest = '';
for (let i = 0; i <= runs; i++) {
  const [e, ev] = cpu(() => evaluate(instances, cov, settings, asOf));
  const [p, plan] = cpu(() => imagePlan(ev.findings, instances));
  findings = ev.findings.length;
  if (i === 0) digest = createHash('sha256').update(JSON.stringify(ev)).update(JSON.stringify(plan)).digest('hex').slice(0, 16);
  if (i === 0) continue; // warm-up
  evalS.push(e);
  planS.push(p);
}
const out = { dist: dist.pathname, instances: instances.length, findings, digest, runs, evaluateCpuS: +median(evalS).toFixed(3), planCpuS: +median(planS).toFixed(3), evaluateAll: evalS.map((x) => +x.toFixed(3)) };
console.log(JSON.stringify(out));
