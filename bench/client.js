// One benchmark client run, in its own process so that its CPU and peak RSS are its own.
// argv[2]: JSON {url, accounts, regions, mode: 'tool'|'baseline', concurrency, render, formats, workers, pageSize, profileFile}
// With profileFile, the collection (from before the collector is loaded to the inventory) is
// profiled, sampling every 5 ms, into that file.
// Prints one JSON line with what it measured. Wall time and CPU are the whole process's, counted
// from its start (Node's own start-up and loading the SDK included), as a user of the CLI pays them.
import { performance } from 'node:perf_hooks';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const cfg = JSON.parse(process.argv[2]);
const creds = { accessKeyId: 'AKIDBENCHBENCH000000', secretAccessKey: 'bench-secret' };
let session;
if (cfg.profileFile) {
  const { Session } = await import('node:inspector/promises');
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 5000 });
  await session.post('Profiler.start');
}

let inventory;
let retries = 0;
if (cfg.mode === 'baseline') {
  // What a user without ami-audit would write: account after account, region after region,
  // one paginator at a time, the same SDK.
  const { EC2Client, paginateDescribeInstanceImageMetadata } = await import('@aws-sdk/client-ec2');
  const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
  const sts = new STSClient({ endpoint: cfg.url, region: 'us-east-1', credentials: creds });
  const instances = [];
  let errors = 0;
  for (const account of cfg.accounts) {
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/AmiAuditReadOnly`, RoleSessionName: 'baseline' }));
    const c = out.Credentials;
    for (const region of cfg.regions) {
      const ec2 = new EC2Client({ endpoint: cfg.url, region, credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });
      try {
        for await (const page of paginateDescribeInstanceImageMetadata({ client: ec2, pageSize: 1000 }, {})) {
          retries += (page.$metadata.attempts ?? 1) - 1;
          for (const i of page.InstanceImageMetadata ?? []) instances.push({ accountId: account, region, ...i });
        }
      } catch {
        errors += 1;
      }
    }
  }
  inventory = { instances, coverage: [], errors };
} else {
  const { collectForCli } = await import('../dist/collect/parallel.js');
  inventory = await collectForCli({
    client: { endpointUrl: cfg.url, region: 'us-east-1', maxAttempts: 10, retryMode: 'standard', verifySsl: true, credentials: creds },
    accounts: cfg.accounts, roleName: 'AmiAuditReadOnly', roleSessionName: 'bench', regions: cfg.regions, allRegions: false, filters: [],
    concurrency: cfg.concurrency, accountConcurrency: 4, assumeConcurrency: 16, workers: cfg.workers, pageSize: cfg.pageSize,
    ...(cfg.references ? { references: {} } : {}),
    ...(cfg.successors ? { successors: {} } : {}),
  });
  retries = inventory.coverage.reduce((s, c) => s + c.retries, 0);
}
// performance.now() counts from the process's start (its time origin)
const collectWall = performance.now() / 1000;
const collectPeakRssMb = process.resourceUsage().maxRSS / 1024;
const cpu = process.cpuUsage();
if (session) {
  const { profile } = await session.post('Profiler.stop');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(cfg.profileFile, JSON.stringify(profile));
  session.disconnect();
}
const result = {
  wall: collectWall,
  cpu: (cpu.user + cpu.system) / 1e6,
  cpuUser: cpu.user / 1e6,
  cpuSystem: cpu.system / 1e6,
  instances: inventory.instances.length,
  retries,
  scopesOk: inventory.coverage.filter((c) => c.status === 'ok').length,
  scopesError: inventory.coverage.filter((c) => c.status !== 'ok' && c.status !== 'skipped').length + (inventory.errors ?? 0),
  maxPages: Math.max(0, ...inventory.coverage.map((c) => c.pageCount)),
  collectPeakRssMb,
  unique: new Set(inventory.instances.map((i) => `${i.accountId}|${i.region}|${i.InstanceId}`)).size,
};
if (cfg.render) {
  const { DateTime } = await import('luxon');
  const { buildReport } = await import('../dist/report/build.js');
  const { DEFAULT_SETTINGS } = await import('../dist/rules/engine.js');
  // what a scan writes by default (html, csv, json, md), as the summary line says, or the formats asked for
  const rendering = await import('../dist/render/index.js');
  const FORMATS = cfg.formats ?? rendering.DEFAULT_FORMATS;
  // the files of a format as the scan writes them (one at a time where the build streams them)
  const filesOf = (f, report, templates) => (rendering.renderFiles ? rendering.renderFiles(f, report, { templates }) : rendering.renderFormat(f, report, templates));
  const { loadTemplates, writeReportSet } = await import('../dist/io/files.js');
  const { statSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const rssBeforeMb = process.memoryUsage().rss / 2 ** 20;
  const r0 = performance.now();
  const report = buildReport({ inventory, settings: DEFAULT_SETTINGS, asOf: DateTime.fromISO('2026-11-26T00:00:00Z', { zone: 'utc' }).toMillis(), tool: { name: 'ami-audit', version: 'bench' } });
  const sizes = {};
  const dir = mkdtempSync(join(tmpdir(), 'ami-audit-bench-'));
  const templates = FORMATS.includes('html') ? loadTemplates() : null;
  const paths = await writeReportSet(dir, 'report', function* () {
    for (const f of FORMATS) yield* filesOf(f, report, templates);
  }, 0o600);
  for (const path of paths) sizes[path.slice(join(dir, 'report').length)] = statSync(path).size;
  result.render = { seconds: (performance.now() - r0) / 1000, formats: FORMATS, findings: report.findings.length, bytes: sizes, dir, rssBeforeMb };
}
result.peakRssMb = process.resourceUsage().maxRSS / 1024;
if (cfg.render) result.render.peakRssMb = result.peakRssMb;
process.stdout.write(JSON.stringify(result) + '\n');
