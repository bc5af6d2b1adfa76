/**
 * The scale-out recipes (docs/scale-out.md and docs/scale-out/): each file parses, has the shape its
 * engine needs, gives every shard the same options and one as-of, hands every shard's report to the
 * merge, and every `ami-audit` command in them is one the CLI accepts.
 *
 * Commands are taken from the files as the engine would run them: shell words with their
 * expansions substituted by sample values (the shard index, the run id, the as-of; `${{ ... }}`
 * for GitHub Actions; States.Format/States.Array evaluated for Step Functions). An expansion the
 * test has no sample value for fails the test, so nothing is checked by accident.
 *
 * How a command is checked without running it: the real parser (buildParser of src/cli/main.ts)
 * parses the whole line, strict mode and all, with one more global middleware that throws before
 * the command's handler can run (yargs runs middleware after validation and before the handler).
 * So the verdict is the parser's own: unknown commands and options, missing values, invalid
 * choices, missing positionals. The argv the middleware sees then lets the test check the values
 * the handlers would check later (--format, --as-of, --deadline, --shard). When the parser rejects
 * a line, its help output says why in plain words: `ami-audit --help` lists the commands,
 * `ami-audit <command> --help` the options, so the failure reads "unknown option --shard for
 * scan" or "unknown command "merge"". The help only explains a rejection: a change in its layout
 * cannot fail a line the parser accepts.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Writable } from 'node:stream';
import { parse, parseAllDocuments } from 'yaml';
import { buildParser } from '../../src/cli/main.js';
import { parseInstantMs } from '../../src/model/time.js';
import { FORMATS } from '../../src/render/index.js';
import { ROOT } from '../helpers/cli.js';

const DOC = 'docs/scale-out.md';
const K8S = 'docs/scale-out/kubernetes-indexed-job.yaml';
const GHA = 'docs/scale-out/github-actions.yml';
const ASL = 'docs/scale-out/step-functions.asl.json';
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** Sample values for what the engines fill in at run time. */
const AS_OF = '2026-11-26T03:00:00Z';
const SFN_START = '2026-11-26T03:00:00.123Z'; // $$.Execution.StartTime carries milliseconds
const RUN_ID = '20261126-030000';
const EXECUTION = 'exec-20261126';
/** The name of a shard's report in its --out folder (ami-audit-<UTC stamp>.json). */
const REPORT = 'ami-audit-20261126T030000Z.json';
/** The contract of --shard K/N. */
const SHARD_RE = /^(\d+)\/(\d+)$/;

// ---------------------------------------------------------------------------------------------
// Shell words, with expansions substituted

interface Env {
  vars: Record<string, string>;
  /** GitHub Actions expressions, `${{ key }}`. */
  gh?: Record<string, string>;
}

/** `$((a + 1))` with the variables substituted: sums and differences of whole numbers. */
function arithmetic(expr: string, env: Env): string {
  const text = expr.replace(/\$?([A-Za-z_]\w*)/g, (_m, name: string) => lookup(name, env));
  if (!/^[\d\s+-]+$/.test(text)) throw new Error(`cannot evaluate $((${expr}))`);
  const terms = text.replace(/\s+/g, '').match(/[+-]?\d+/g) ?? [];
  return String(terms.reduce((sum, t) => sum + Number(t), 0));
}

function lookup(name: string, env: Env): string {
  const v = env.vars[name];
  if (v === undefined) throw new Error(`no sample value for $${name}`);
  return v;
}

/** One expansion at src[i] === '$': its text and the index after it. */
function expand(src: string, i: number, env: Env): { text: string; next: number } {
  if (src.startsWith('$((', i)) {
    let depth = 0;
    for (let j = i + 3; j < src.length; j++) {
      if (src[j] === '(') depth++;
      else if (src[j] === ')') {
        if (depth === 0 && src[j + 1] === ')') return { text: arithmetic(src.slice(i + 3, j), env), next: j + 2 };
        depth--;
      }
    }
    throw new Error(`unbalanced $(( in ${src.slice(i, i + 40)}`);
  }
  if (src.startsWith('${{', i)) {
    const end = src.indexOf('}}', i);
    const key = src.slice(i + 3, end).trim();
    const v = env.gh?.[key];
    if (end < 0 || v === undefined) throw new Error(`no sample value for \${{ ${key} }}`);
    return { text: v, next: end + 2 };
  }
  if (src[i + 1] === '{') {
    const end = src.indexOf('}', i);
    return { text: lookup(src.slice(i + 2, end), env), next: end + 1 };
  }
  const m = /^[A-Za-z_]\w*/.exec(src.slice(i + 1));
  if (!m) throw new Error(`cannot expand ${src.slice(i, i + 3)} in a command`);
  return { text: lookup(m[0], env), next: i + 1 + m[0].length };
}

/** The words of one simple command starting at src[0], up to an operator, a newline or a comment. */
function words(src: string, env: Env): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  let i = 0;
  const push = (): void => {
    if (cur !== null) out.push(cur);
    cur = null;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t') {
      push();
      i++;
    } else if ('\n;&|<>()'.includes(c)) {
      break;
    } else if (c === '#' && cur === null) {
      break;
    } else if (c === "'") {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${src}`);
      cur = (cur ?? '') + src.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let s = '';
      i++;
      while (src[i] !== '"') {
        if (i >= src.length) throw new Error(`unterminated " in ${src}`);
        if (src[i] === '\\' && '"\\$`'.includes(src[i + 1] ?? '')) {
          s += src[i + 1];
          i += 2;
        } else if (src[i] === '$') {
          const r = expand(src, i, env);
          s += r.text;
          i = r.next;
        } else {
          s += src[i];
          i++;
        }
      }
      cur = (cur ?? '') + s;
      i++;
    } else if (c === '\\') {
      cur = (cur ?? '') + (src[i + 1] ?? '');
      i += 2;
    } else if (c === '$') {
      const r = expand(src, i, env);
      cur = (cur ?? '') + r.text;
      i = r.next;
    } else {
      cur = (cur ?? '') + c;
      i++;
    }
  }
  push();
  return out;
}

/** An `ami-audit` command found in a script: its arguments, or a wrapper's pass-through of "$@". */
interface Found { args: string[]; passThrough: boolean }

/** Every `ami-audit` command of a shell script (at the start of a line or after ; && || |). */
function commandsIn(script: string, env: Env): Found[] {
  const joined = script.replace(/\\\r?\n/g, ' ');
  const found: Found[] = [];
  for (const m of joined.matchAll(/(?:^[ \t]*|[;&|][ \t]*|\b(?:then|do|else)[ \t]+)ami-audit[ \t]+/gm)) {
    const rest = joined.slice(m.index + m[0].length);
    if (rest.startsWith('"$@"')) found.push({ args: [], passThrough: true });
    else found.push({ args: words(rest, env), passThrough: false });
  }
  return found;
}

const opt = (args: readonly string[], name: string): string | undefined => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
/** The arguments with the values of the named options left out. */
const without = (args: readonly string[], ...names: string[]): string[] => args.filter((_a, i) => !names.includes(args[i - 1] ?? '') && !names.includes(args[i]!));
/** The positional arguments right after the command name. */
const leading = (args: readonly string[]): string[] => {
  const i = args.findIndex((a, j) => j > 0 && a.startsWith('-'));
  return args.slice(1, i < 0 ? undefined : i);
};
/** A shell (or `aws s3 --include`) pattern whose only wildcard is `*`, as a regular expression. */
const globRe = (glob: string): RegExp => new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
const matchesAny = (path: string, globs: readonly string[]): boolean => globs.some((g) => globRe(g).test(path));

/** The checks every shard command of a recipe must pass; returns the K of its --shard. */
function shardChecks(args: readonly string[], count: number): number {
  expect(args[0]).toBe('scan');
  const shard = opt(args, '--shard') ?? '';
  const m = SHARD_RE.exec(shard);
  expect(m).not.toBeNull();
  expect(Number(m![2])).toBe(count);
  // only the JSON report: the merge's glob then finds nothing else in the shard's folder
  expect(opt(args, '--format')).toBe('json');
  // findings are judged on the merged report: a shard's exit 1 would read as a failed shard
  expect(args).not.toContain('--fail-on');
  expect(valueProblems({ asOf: opt(args, '--as-of') ?? '(none)', deadline: opt(args, '--deadline') })).toEqual([]);
  return Number(m![1]);
}

/** All shards alike but for --shard and (where each has its own folder) --out. */
function sameRun(shards: readonly string[][], count: number): void {
  expect(shards).toHaveLength(count);
  expect(shards.map((a) => shardChecks(a, count)).sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_v, i) => i + 1));
  const rest = shards.map((a) => without(a, '--shard', '--out').join(' '));
  expect(new Set(rest).size).toBe(1);
  const outs = shards.map((a) => opt(a, '--out')).filter((o) => o !== undefined);
  expect(new Set(outs).size).toBe(outs.length);
}

/**
 * The run's one discovery: `scan --org --discover-only` with the shards' role and regions, whose
 * accounts file (where `fileOf` says its --out puts it) every shard gives to --accounts-file; no
 * shard discovers on its own.
 */
function discoveryOnce(discovery: readonly string[], shards: readonly string[][], fileOf: (out: string) => string): void {
  expect(discovery[0]).toBe('scan');
  expect(discovery).toContain('--org');
  expect(discovery).toContain('--discover-only');
  expect(discovery).not.toContain('--shard');
  const file = fileOf(opt(discovery, '--out') ?? '');
  for (const s of shards) {
    expect(opt(s, '--accounts-file')).toBe(file);
    for (const f of ['--org', '--ou', '--discover-only']) expect(s).not.toContain(f);
    // the same role and regions as the discovery
    expect(opt(s, '--role-name')).toBe(opt(discovery, '--role-name'));
    for (const f of ['--all-regions', '--regions']) expect(`${f} ${s.includes(f)}`).toBe(`${f} ${discovery.includes(f)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The Kubernetes Indexed Job

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  serviceAccountName?: string;
  restartPolicy?: string;
  containers: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}
interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: {
    completionMode?: string;
    completions?: number;
    parallelism?: number;
    backoffLimit?: number;
    podFailurePolicy?: { rules: { action: string; onExitCodes?: { operator: string; values: number[] } }[] };
    accessModes?: string[];
    template?: { spec: PodSpec };
  };
}

function k8s(): K8sObject[] {
  const docs = [...parseAllDocuments(read(K8S))];
  for (const d of docs) expect(d.errors).toEqual([]);
  return docs.map((d) => d.toJS() as K8sObject);
}

function podScript(job: K8sObject): { pod: PodSpec; container: Container; script: string } {
  const pod = job.spec!.template!.spec;
  expect(pod.containers).toHaveLength(1);
  const container = pod.containers[0]!;
  expect(container.command).toEqual(['sh', '-c']);
  expect(container.args).toHaveLength(1);
  return { pod, container, script: container.args![0]! };
}

const k8sEnv = (index: number): Env => ({ vars: { JOB_COMPLETION_INDEX: String(index), RUN_ID, AS_OF } });

const component = (o: K8sObject): string | undefined => o.metadata.labels?.['app.kubernetes.io/component'];

/** The discovery Job's command, the shard Job's commands, one per completion index, and the merge Job's command. */
function k8sCommands(): { discovery: string[]; shards: string[][]; merge: string[] } {
  const objs = k8s();
  const shardJob = objs.find((o) => o.kind === 'Job' && o.spec?.completionMode === 'Indexed')!;
  const mergeJob = objs.find((o) => o.kind === 'Job' && component(o) === 'merge')!;
  const discoveryJob = objs.find((o) => o.kind === 'Job' && component(o) === 'discovery')!;
  const discovery = commandsIn(podScript(discoveryJob).script, k8sEnv(0));
  expect(discovery).toHaveLength(1);
  const { script } = podScript(shardJob);
  const shards = Array.from({ length: shardJob.spec!.completions! }, (_v, i) => {
    const found = commandsIn(script, k8sEnv(i));
    expect(found).toHaveLength(1);
    return found[0]!.args;
  });
  const merge = commandsIn(podScript(mergeJob).script, k8sEnv(0));
  expect(merge).toHaveLength(1);
  return { discovery: discovery[0]!.args, shards, merge: merge[0]!.args };
}

describe(`${K8S}: a Kubernetes Indexed Job, then a merge Job`, () => {
  const objs = k8s();
  const jobs = objs.filter((o) => o.kind === 'Job');
  const shardJob = jobs.find((o) => o.spec?.completionMode === 'Indexed');
  const mergeJob = jobs.find((o) => component(o) === 'merge');
  const discoveryJob = jobs.find((o) => component(o) === 'discovery');

  test('a discovery Job, an Indexed Job of 4 completions, 4 at a time, and a Job for the merge', () => {
    expect(jobs).toHaveLength(3);
    expect(jobs.map(component)).toEqual(['discovery', 'shards', 'merge']);
    expect(discoveryJob!.spec!.completions ?? 1).toBe(1);
    expect(shardJob?.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4 });
    expect(mergeJob).toBeDefined();
    for (const j of jobs) expect(j.spec!.template!.spec.restartPolicy).toBe('Never');
  });

  test('discovery and the shards run as a service account for IRSA, and every Job shares a ReadWriteMany claim', () => {
    for (const job of [discoveryJob!, shardJob!]) {
      const { pod } = podScript(job);
      const sa = objs.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === pod.serviceAccountName);
      expect(sa?.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\/[\w+=,.@-]+$/);
    }
    for (const job of [discoveryJob!, shardJob!, mergeJob!]) {
      const { pod: p, container } = podScript(job);
      const claim = p.volumes?.find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim?.claimName;
      const pvc = objs.find((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === claim);
      expect(pvc?.spec?.accessModes).toContain('ReadWriteMany');
      expect(container.volumeMounts?.map((m) => m.mountPath)).toContain('/reports');
    }
  });

  test('one command per completion index: --shard (index + 1)/completions, the same options, one as-of', () => {
    const { shards } = k8sCommands();
    sameRun(shards, shardJob!.spec!.completions!);
    shards.forEach((args, i) => {
      expect(opt(args, '--shard')).toBe(`${i + 1}/4`);
      expect(opt(args, '--out')).toBe(`/reports/${RUN_ID}/shard-${i}`);
      expect(opt(args, '--as-of')).toBe(AS_OF);
    });
    // the as-of is set for the whole Job (substituted once per run), not computed by each pod
    const { container, script } = podScript(shardJob!);
    expect(container.env?.find((e) => e.name === 'AS_OF')).toEqual({ name: 'AS_OF', value: '${AS_OF}' });
    expect(script).not.toMatch(/\bdate\b|AS_OF=/);
  });

  test('exit 3 (report written, coverage partial) completes the pod; 2 and 4 fail it with their own code', () => {
    const { script } = podScript(shardJob!);
    // the handling right after the scan command, run by a real shell with ami-audit stubbed
    const tail = /ami-audit scan (?:[^\n]*\\\n)*[^\n]*?(\|\|[^\n]*)\s*$/.exec(script)?.[1];
    expect(tail).toBeDefined();
    for (const [code, pod] of [[0, 0], [1, 1], [2, 2], [3, 0], [4, 4]] as const) {
      const r = spawnSync('sh', ['-c', `stub() { return ${code}; }; stub ${tail}`]);
      expect([code, r.status]).toEqual([code, pod]);
    }
    // exit 2 (a usage or configuration error) is not retried
    const rule = shardJob!.spec!.podFailurePolicy?.rules.find((r) => r.onExitCodes);
    expect(rule).toMatchObject({ action: 'FailIndex', onExitCodes: { operator: 'In', values: [2] } });
  });

  test('discovery runs once, first: every shard takes its accounts from the file it writes', () => {
    const { discovery, shards } = k8sCommands();
    discoveryOnce(discovery, shards, (out) => `${out}/accounts.json`);
    // the comment's commands wait for discovery to complete before the shards are applied
    const head = read(K8S).split('\napiVersion')[0]!;
    const order = ['component in (setup,discovery)', 'kubectl wait --for=condition=complete', 'component=shards', 'component=merge'].map((x) => head.indexOf(x));
    expect(order.every((n, i) => n >= 0 && (i === 0 || n > order[i - 1]!))).toBe(true);
  });

  test('the merge reads every shard\'s report, and not its own output', () => {
    const { shards, merge } = k8sCommands();
    expect(merge[0]).toBe('merge');
    const parts = leading(merge);
    expect(parts.length).toBeGreaterThan(0);
    for (const s of shards) expect(matchesAny(`${opt(s, '--out')}/${REPORT}`, parts)).toBe(true);
    expect(matchesAny(`${opt(merge, '--out')}/${REPORT}`, parts)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// The GitHub Actions workflow

interface Step { id?: string; name?: string; uses?: string; run?: string; if?: string; env?: Record<string, string | number>; with?: Record<string, string | number | boolean> }
interface GhJob {
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  strategy?: { 'fail-fast'?: boolean; matrix?: Record<string, unknown> };
  outputs?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow { on: Record<string, unknown>; permissions?: Record<string, string>; env?: Record<string, string>; jobs: Record<string, GhJob> }

const needsOf = (j: GhJob): string[] => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);
const ghExpand = (text: string, gh: Record<string, string>): string => text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_m, key: string) => {
  const v = gh[key];
  if (v === undefined) throw new Error(`no sample value for \${{ ${key} }}`);
  return v;
});

function workflow(): { wf: Workflow; shardId: string; shard: GhJob; planId: string; mergeId: string; merge: GhJob; values: string[] } {
  const wf = parse(read(GHA)) as Workflow;
  const [shardId, shard] = Object.entries(wf.jobs).find(([, j]) => j.strategy?.matrix?.shard !== undefined)!;
  const planId = needsOf(shard).find((n) => wf.jobs[n]?.outputs?.['as-of'] !== undefined)!;
  const [mergeId, merge] = Object.entries(wf.jobs).find(([, j]) => needsOf(j).includes(shardId))!;
  const values = (shard.strategy!.matrix!.shard as unknown[]).map(String);
  return { wf, shardId, shard, planId, mergeId, merge, values };
}

/** The GitHub expressions and environment one step sees in one matrix leg. */
function ghContext(w: ReturnType<typeof workflow>, job: GhJob, step: Step, k: string | undefined): { gh: Record<string, string>; env: Env } {
  const gh: Record<string, string> = { [`needs.${w.planId}.outputs.as-of`]: AS_OF };
  if (k !== undefined) gh['matrix.shard'] = k;
  const vars: Record<string, string> = {};
  for (const [name, v] of Object.entries({ ...w.wf.env, ...job.env, ...step.env })) vars[name] = ghExpand(String(v), gh);
  return { gh, env: { vars, gh } };
}

function ghCommands(w: ReturnType<typeof workflow>, job: GhJob, k: string | undefined): Found[] {
  return job.steps.flatMap((s) => (s.run ? commandsIn(s.run, ghContext(w, job, s, k).env) : []));
}

describe(`${GHA}: a matrix of shards, then a merge job`, () => {
  const w = workflow();

  test('runs on a schedule and on demand; every action pinned by major version', () => {
    expect(Object.keys(w.wf.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    const uses = Object.values(w.wf.jobs).flatMap((j) => j.steps.map((s) => s.uses).filter((u) => u !== undefined));
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
    expect(uses.some((u) => u.startsWith('aws-actions/configure-aws-credentials@'))).toBe(true);
  });

  test('the shard job: a matrix of N without fail-fast, OIDC, --shard k/N with one as-of from the first job', () => {
    expect(w.shard.strategy!['fail-fast']).toBe(false);
    expect({ ...w.wf.permissions, ...w.shard.permissions }['id-token']).toBe('write');
    const creds = w.shard.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect(creds?.with?.['role-to-assume']).toBeDefined();
    const n = w.values.length;
    expect(n).toBe(4);
    const shards = w.values.map((k) => {
      const found = ghCommands(w, w.shard, k);
      expect(found).toHaveLength(1);
      expect(opt(found[0]!.args, '--shard')).toBe(`${k}/${n}`);
      expect(opt(found[0]!.args, '--as-of')).toBe(AS_OF);
      return found[0]!.args;
    });
    sameRun(shards, n);
    // the as-of is computed once, by the job the shards need, as a UTC RFC 3339 instant
    const plan = w.wf.jobs[w.planId]!;
    const stepId = /^\$\{\{\s*steps\.([\w-]+)\.outputs\.as-of\s*\}\}$/.exec(plan.outputs!['as-of']!)?.[1];
    const step = plan.steps.find((s) => s.id === stepId);
    expect(step?.run).toContain('as-of=$(date -u +%Y-%m-%dT%H:%M:%SZ)');
    expect(step?.run).toContain('"$GITHUB_OUTPUT"');
  });

  test('the plan job discovers the accounts once and uploads the file; every shard downloads it and gives it to --accounts-file', () => {
    const plan = w.wf.jobs[w.planId]!;
    const discovery = ghCommands(w, plan, undefined);
    expect(discovery).toHaveLength(1);
    expect({ ...w.wf.permissions, ...plan.permissions }['id-token']).toBe('write');
    expect(plan.steps.some((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'))).toBe(true);
    const out = opt(discovery[0]!.args, '--out')!;
    const upload = plan.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(posix.normalize(String(upload.with!.path))).toBe(posix.join(out, 'accounts.json'));
    const download = w.shard.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    expect(download.with!.name).toBe(upload.with!.name);
    // the shards' download comes before their scan, and the merge's pattern does not take the file
    expect(w.shard.steps.indexOf(download)).toBeLessThan(w.shard.steps.findIndex((s) => s.run?.includes('ami-audit scan')));
    expect(globRe(String(w.merge.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!.with!.pattern)).test(String(upload.with!.name))).toBe(false);
    const shards = w.values.map((k) => ghCommands(w, w.shard, k)[0]!.args);
    discoveryOnce(discovery[0]!.args, shards, () => posix.join(String(download.with!.path), 'accounts.json'));
  });

  test('exit 3 passes (with a warning), any other failure fails the leg with its code', () => {
    const step = w.shard.steps.find((s) => s.run?.includes('ami-audit scan'))!;
    const { env } = ghContext(w, w.shard, step, '2');
    // the step's script as the runner runs it (bash -e -o pipefail), with ami-audit stubbed
    for (const [code, leg] of [[0, 0], [1, 1], [2, 2], [3, 0], [4, 4]] as const) {
      const r = spawnSync('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', `ami-audit() { return ${code}; }\n${step.run}`], { env: { PATH: process.env.PATH, ...env.vars }, encoding: 'utf8' });
      expect([code, r.status]).toEqual([code, leg]);
      if (code === 3) expect(r.stdout).toMatch(/^::warning title=ami-audit shard 2 of 4::/);
    }
  });

  test('each shard uploads its folder under its own name; the merge downloads them all and merges every report', () => {
    const upload = w.shard.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    const download = w.merge.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    expect(download.with?.['merge-multiple']).toBe(true);
    const pattern = String(download.with!.pattern);
    const names = w.values.map((k) => ghExpand(String(upload.with!.name), ghContext(w, w.shard, upload, k).gh));
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(globRe(pattern).test(name)).toBe(true);
    const merges = ghCommands(w, w.merge, undefined);
    expect(merges).toHaveLength(1);
    const merge = merges[0]!.args;
    expect(merge[0]).toBe('merge');
    const parts = leading(merge);
    const root = posix.normalize(String(upload.with!.path)).replace(/\/$/, '');
    const downloaded = posix.normalize(String(download.with!.path));
    for (const k of w.values) {
      const out = opt(ghCommands(w, w.shard, k)[0]!.args, '--out')!;
      expect(posix.relative(root, out)).not.toMatch(/^\.\./);
      // the path the report has after the download: the folder under the artifact's root is kept
      expect(matchesAny(posix.join(downloaded, posix.relative(root, out), REPORT), parts)).toBe(true);
    }
  });

  test('the merge job runs even when a shard failed, and uploads the merged report whatever its exit', () => {
    expect(needsOf(w.merge)).toEqual(expect.arrayContaining([w.shardId]));
    expect(w.merge.if).toContain('always()');
    const merge = ghCommands(w, w.merge, undefined)[0]!.args;
    const uploads = w.merge.steps.filter((s) => s.uses?.startsWith('actions/upload-artifact@'));
    const final = uploads.find((s) => posix.normalize(String(s.with?.path)).replace(/\/$/, '') === opt(merge, '--out'));
    expect(final?.if).toBe('always()');
  });
});

// ---------------------------------------------------------------------------------------------
// The Step Functions state machine

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  Retry?: { ErrorEquals: string[] }[];
  Resource?: string;
  Parameters?: Json;
  ItemSelector?: Json;
  ResultSelector?: Json;
  ItemsPath?: string;
  ItemProcessor?: Machine;
  MaxConcurrency?: number;
  ToleratedFailurePercentage?: number;
  ErrorPath?: string;
  CausePath?: string;
}
interface Machine { StartAt: string; States: Record<string, State>; ProcessorConfig?: { Mode?: string; ExecutionType?: string } }

const STATE_TYPES = ['Task', 'Pass', 'Choice', 'Wait', 'Succeed', 'Fail', 'Parallel', 'Map'];

/** The states graph: connected, every transition to a state that exists, one way to end well. */
function graphProblems(m: Machine, where: string): string[] {
  const problems: string[] = [];
  const names = Object.keys(m.States);
  if (!m.States[m.StartAt]) problems.push(`${where}: StartAt ${m.StartAt} is not a state`);
  const successors = (s: State): string[] => [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)].filter((n): n is string => n !== undefined);
  for (const [name, s] of Object.entries(m.States)) {
    if (!STATE_TYPES.includes(s.Type)) problems.push(`${where}.${name}: Type ${s.Type} is not a state type`);
    for (const n of successors(s)) if (!m.States[n]) problems.push(`${where}.${name}: next state ${n} does not exist`);
    const terminal = s.Type === 'Succeed' || s.Type === 'Fail' || s.Type === 'Choice';
    if (s.Next !== undefined && s.End) problems.push(`${where}.${name}: both Next and End`);
    if (!terminal && s.Next === undefined && s.End !== true) problems.push(`${where}.${name}: neither Next nor End`);
    if (terminal && (s.Next !== undefined || s.End !== undefined)) problems.push(`${where}.${name}: a ${s.Type} state has no Next or End`);
    if (s.Type === 'Task' && !s.Resource) problems.push(`${where}.${name}: a Task without Resource`);
    for (const r of [...(s.Retry ?? []), ...(s.Catch ?? [])]) {
      const all = r.ErrorEquals.indexOf('States.ALL');
      if (all >= 0 && r.ErrorEquals.length > 1) problems.push(`${where}.${name}: States.ALL must stand alone`);
    }
    if (s.ItemProcessor) problems.push(...graphProblems(s.ItemProcessor, `${where}.${name}.ItemProcessor`));
    for (const field of ['Parameters', 'ItemSelector', 'ResultSelector'] as const) if (s[field] !== undefined) problems.push(...payloadProblems(s[field]!, `${where}.${name}.${field}`));
    for (const field of ['ItemsPath', 'ErrorPath', 'CausePath'] as const) if (s[field] !== undefined && !/^\$/.test(s[field]!)) problems.push(`${where}.${name}.${field}: not a path`);
  }
  const seen = new Set<string>();
  const queue = [m.StartAt];
  while (queue.length) {
    const n = queue.shift()!;
    if (seen.has(n) || !m.States[n]) continue;
    seen.add(n);
    queue.push(...successors(m.States[n]!));
  }
  for (const n of names) if (!seen.has(n)) problems.push(`${where}.${n}: not reachable from ${m.StartAt}`);
  const ends = names.filter((n) => m.States[n]!.End === true || m.States[n]!.Type === 'Succeed');
  if (ends.length !== 1) problems.push(`${where}: ${ends.length} ways to end successfully (${ends.join(', ')}), expected one`);
  return problems;
}

/** Keys ending in .$ hold a path or an intrinsic function that parses; other strings are not paths. */
function payloadProblems(v: Json, where: string): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => payloadProblems(x, `${where}[${i}]`));
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => {
    if (k.endsWith('.$')) {
      if (typeof x !== 'string') return [`${where}.${k}: not a string`];
      try {
        if (x.startsWith('States.')) parseIntrinsic(x);
        else if (!/^\$\$?(\.[\w-]+|\[\d+\])*$/.test(x)) return [`${where}.${k}: "${x}" is not a path`];
      } catch (e) {
        return [`${where}.${k}: ${(e as Error).message}`];
      }
      return [];
    }
    if (typeof x === 'string' && /^\$\$?\./.test(x)) return [`${where}.${k}: "${x}" looks like a path but the key has no .$`];
    return payloadProblems(x, `${where}.${k}`);
  });
}

type Node = { call: string; args: Node[] } | { str: string } | { num: number } | { path: string };

/** An intrinsic function of the States Language (JSONPath): States.Name(arg, ...). */
function parseIntrinsic(src: string): Node {
  let i = 0;
  const ws = (): void => {
    while (src[i] === ' ') i++;
  };
  const arg = (): Node => {
    ws();
    if (src.startsWith('States.', i)) return call();
    if (src[i] === "'") {
      let s = '';
      i++;
      while (src[i] !== "'") {
        if (i >= src.length) throw new Error(`unterminated string in ${src}`);
        if (src[i] === '\\') {
          s += src[i + 1];
          i += 2;
        } else s += src[i++];
      }
      i++;
      return { str: s };
    }
    const m = /^(\$\$?(?:\.[\w-]+|\[\d+\])*)|^(-?\d+(?:\.\d+)?)/.exec(src.slice(i));
    if (!m) throw new Error(`cannot read an argument at "${src.slice(i, i + 20)}" in ${src}`);
    i += m[0].length;
    return m[1] !== undefined ? { path: m[1] } : { num: Number(m[2]) };
  };
  const call = (): Node => {
    const m = /^States\.[A-Za-z]+/.exec(src.slice(i));
    if (!m) throw new Error(`not an intrinsic function: ${src}`);
    i += m[0].length;
    if (src[i] !== '(') throw new Error(`( expected after ${m[0]} in ${src}`);
    i++;
    const args: Node[] = [];
    ws();
    if (src[i] === ')') i++;
    else {
      for (;;) {
        args.push(arg());
        ws();
        if (src[i] === ',') i++;
        else if (src[i] === ')') {
          i++;
          break;
        } else throw new Error(`, or ) expected at "${src.slice(i, i + 20)}" in ${src}`);
      }
    }
    return { call: m[0], args };
  };
  const node = call();
  if (i !== src.length) throw new Error(`trailing text after the function: ${src.slice(i)}`);
  return node;
}

interface Scope { input: Json; context: Json }

function jsonPath(path: string, scope: Scope): Json {
  const root = path.startsWith('$$') ? scope.context : scope.input;
  const steps = [...path.replace(/^\$\$?/, '').matchAll(/\.([\w-]+)|\[(\d+)\]/g)];
  let v: Json = root;
  for (const s of steps) {
    const next: Json | undefined = s[1] !== undefined ? (v !== null && typeof v === 'object' && !Array.isArray(v) ? v[s[1]] : undefined) : Array.isArray(v) ? v[Number(s[2])] : undefined;
    if (next === undefined) throw new Error(`${path}: nothing at ${s[0]}`);
    v = next;
  }
  return v;
}

function evalNode(n: Node, scope: Scope): Json {
  if ('str' in n) return n.str;
  if ('num' in n) return n.num;
  if ('path' in n) return jsonPath(n.path, scope);
  const args = n.args.map((a) => evalNode(a, scope));
  if (n.call === 'States.Array') return args;
  if (n.call === 'States.Format') {
    const [tpl, ...values] = args;
    if (typeof tpl !== 'string') throw new Error('States.Format: the template must be a string');
    const pieces = tpl.split('{}');
    if (pieces.length - 1 !== values.length) throw new Error(`States.Format: ${pieces.length - 1} placeholders, ${values.length} values`);
    return pieces.map((p, i) => p + (i < values.length ? String(values[i]) : '')).join('');
  }
  throw new Error(`the test does not evaluate ${n.call}`);
}

/** A payload template (Parameters, ItemSelector) evaluated as Step Functions would. */
function evaluate(v: Json, scope: Scope): Json {
  if (Array.isArray(v)) return v.map((x) => evaluate(x, scope));
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => (k.endsWith('.$') ? [k.slice(0, -2), (x as string).startsWith('States.') ? evalNode(parseIntrinsic(x as string), scope) : jsonPath(x as string, scope)] : [k, evaluate(x, scope)])));
}

interface EcsRun { args: string[]; env: Record<string, string>; params: Record<string, Json> }

/** The container command and environment an ecs:runTask state starts, for the given state input. */
function ecsRun(s: State, input: Json, context: Json): EcsRun {
  const params = evaluate(s.Parameters!, { input, context }) as Record<string, Json>;
  const overrides = (params.Overrides as { ContainerOverrides: { Name: string; Command: string[]; Environment?: { Name: string; Value: string }[] }[] }).ContainerOverrides;
  expect(overrides).toHaveLength(1);
  const env = Object.fromEntries((overrides[0]!.Environment ?? []).map((e) => [e.Name, e.Value]));
  return { args: overrides[0]!.Command, env, params };
}

/** What the ami-audit-s3 wrapper of docs/scale-out.md runs: the parts after the command name, then --out. */
function asWrapperRuns(r: EcsRun): string[] {
  const [command, ...rest] = r.args;
  const parts = r.env.AMI_AUDIT_INPUTS_S3_URI ? [`in/shard-1/${REPORT}`, `in/shard-3/${REPORT}`] : [];
  const accounts = r.env.AMI_AUDIT_ACCOUNTS_S3_URI ? ['--accounts-file', 'accounts.json'] : [];
  return [command!, ...parts, ...rest, ...accounts, '--out', 'out'];
}

function stateMachine(): { asl: Machine; plan: State; discover: State; discoverRun: EcsRun; map: State; mapName: string; merge: State; shards: EcsRun[]; mergeRun: EcsRun; items: Json[]; planned: Json } {
  const asl = JSON.parse(read(ASL)) as Machine;
  const plan = asl.States[asl.StartAt]!;
  const discover = asl.States[plan.Next!]!;
  const mapName = discover.Next!;
  const map = asl.States[mapName]!;
  const merge = asl.States[map.Next!]!;
  const planned = evaluate(plan.Parameters!, { input: {}, context: { Execution: { StartTime: SFN_START, Name: EXECUTION } } });
  const items = jsonPath(map.ItemsPath ?? '$', { input: planned, context: {} }) as Json[];
  const proc = map.ItemProcessor!;
  const task = proc.States[proc.StartAt]!;
  const shards = items.map((value, index) => {
    const selected = evaluate(map.ItemSelector!, { input: planned, context: { Map: { Item: { Value: value, Index: index } } } });
    return ecsRun(task, selected, {});
  });
  const mergeRun = ecsRun(merge, { ...(planned as Record<string, Json>), shardResults: [] }, {});
  const discoverRun = ecsRun(discover, planned, {});
  return { asl, plan, discover, discoverRun, map, mapName, merge, shards, mergeRun, items, planned };
}

describe(`${ASL}: a Distributed Map of ECS tasks, then a merge task`, () => {
  const m = stateMachine();

  test('the States Language: the graph is connected, every Next exists, one way to end well, paths and intrinsics parse', () => {
    expect(graphProblems(m.asl, 'States')).toEqual([]);
  });

  test('the checks above catch what they are meant to catch', () => {
    const broken: Machine = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nope' }, B: { Type: 'Pass', End: true, Parameters: { 'x.$': "States.Format('{}', $.a" } } } };
    expect(graphProblems(broken, 'S')).toEqual(expect.arrayContaining([
      'S.A: next state Nope does not exist', 'S.B: not reachable from A', expect.stringMatching(/^S\.B\.Parameters\.x\.\$: /),
    ]));
    expect(payloadProblems({ Value: '$.shard' }, 'P')).toEqual(['P.Value: "$.shard" looks like a path but the key has no .$']);
  });

  test('the as-of is the execution\'s start time, read once before the Map and passed to every shard', () => {
    expect(m.plan.Type).toBe('Pass');
    expect(JSON.stringify(m.plan.Parameters)).toContain('"$$.Execution.StartTime"');
    // inside the Map each child execution has its own start time: it must not be read there
    expect(JSON.stringify(m.map.ItemProcessor)).not.toContain('$$.Execution.StartTime');
    for (const s of m.shards) expect(opt(s.args, '--as-of')).toBe(SFN_START);
  });

  test('a Distributed Map over N items whose commands say --shard k/N, on ECS Fargate with runTask.sync', () => {
    expect(m.map.Type).toBe('Map');
    expect(m.map.ItemProcessor!.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(m.map.MaxConcurrency).toBe(m.items.length);
    expect(m.items).toEqual([1, 2, 3, 4]);
    sameRun(m.shards.map((s) => s.args), m.items.length);
    m.shards.forEach((s, i) => expect(opt(s.args, '--shard')).toBe(`${m.items[i]}/${m.items.length}`));
    const task = m.map.ItemProcessor!.States[m.map.ItemProcessor!.StartAt]!;
    for (const s of [task, m.merge]) {
      expect(s.Resource).toBe('arn:aws:states:::ecs:runTask.sync');
      expect((s.Parameters as Record<string, Json>).LaunchType).toBe('FARGATE');
    }
  });

  test('discovery runs once, before the Map: its accounts.json is the file every shard\'s wrapper downloads', () => {
    expect(m.discover).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::ecs:runTask.sync' });
    // no Catch: without the accounts file no shard can start, so the execution fails
    expect(m.discover.Catch).toBeUndefined();
    expect(m.discoverRun.env.AMI_AUDIT_OK_EXIT_CODES).toBe('0');
    const uploaded = `${m.discoverRun.env.AMI_AUDIT_REPORTS_S3_URI!}accounts.json`;
    for (const s of m.shards) expect(s.env.AMI_AUDIT_ACCOUNTS_S3_URI).toBe(uploaded);
    discoveryOnce(asWrapperRuns(m.discoverRun), m.shards.map(asWrapperRuns), () => 'accounts.json');
    // the merge's download takes the shards' reports, not the accounts file
    const include = /--include '([^']+)'/.exec(wrapperScript())![1]!;
    expect(globRe(include).test(uploaded.slice(m.mergeRun.env.AMI_AUDIT_INPUTS_S3_URI!.length))).toBe(false);
  });

  test('a failed shard does not stop the merge: caught in the item processor, and tolerated by the Map', () => {
    const proc = m.map.ItemProcessor!;
    const task = proc.States[proc.StartAt]!;
    expect(task.Catch?.some((c) => c.ErrorEquals.includes('States.ALL'))).toBe(true);
    expect(m.map.ToleratedFailurePercentage).toBe(100);
    expect(m.map.Next).toBe(Object.keys(m.asl.States).find((n) => m.asl.States[n] === m.merge));
    expect(m.mergeRun.args[0]).toBe('merge');
  });

  test('the wrapper\'s contract: shards end well on 0 and 3 only, the merge on 0 only; --out is the wrapper\'s', () => {
    for (const s of m.shards) expect(s.env.AMI_AUDIT_OK_EXIT_CODES!.split(/\s+/).sort()).toEqual(['0', '3']);
    expect(m.mergeRun.env.AMI_AUDIT_OK_EXIT_CODES).toBe('0');
    for (const r of [m.discoverRun, ...m.shards, m.mergeRun]) {
      expect(r.args).not.toContain('--out');
      expect(r.env.AMI_AUDIT_REPORTS_S3_URI).toMatch(/^s3:\/\/[a-z0-9.-]+\/.+\/$/);
    }
  });

  test('every shard uploads under the prefix the merge downloads, where the wrapper\'s pattern finds its report', () => {
    const include = /--include '([^']+)'/.exec(wrapperScript())![1]!;
    const inputs = m.mergeRun.env.AMI_AUDIT_INPUTS_S3_URI!;
    const prefixes = m.shards.map((s) => s.env.AMI_AUDIT_REPORTS_S3_URI!);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    for (const p of prefixes) {
      expect(p.startsWith(inputs)).toBe(true);
      expect(globRe(include).test(`${p.slice(inputs.length)}${REPORT}`)).toBe(true);
    }
    const merged = m.mergeRun.env.AMI_AUDIT_REPORTS_S3_URI!;
    expect(merged.startsWith(inputs) && globRe(include).test(`${merged.slice(inputs.length)}${REPORT}`)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// docs/scale-out.md

const fences = (md: string): { lang: string; body: string }[] => [...md.matchAll(/^```(\w*)\n([\s\S]*?)^```\s*$/gm)].map((f) => ({ lang: f[1]!, body: f[2]! }));
const docEnv: Env = { vars: { k: '1', AS_OF } };

function wrapperScript(): string {
  const blocks = fences(read(DOC)).filter((f) => f.body.includes('ami-audit "$@"'));
  expect(blocks).toHaveLength(1);
  return blocks[0]!.body;
}

describe(DOC, () => {
  const md = read(DOC);

  test('links the three recipes and explains slicing, the as-of, the exit codes and a missing shard', () => {
    for (const f of [K8S, GHA, ASL]) expect(md).toContain(`](${f.replace('docs/', '')})`);
    for (const code of ['| 0 |', '| 1 |', '| 2 |', '| 3 |', '| 4 |']) expect(md).toContain(code);
    for (const words of ['round-robin', '--as-of', 'ShardMissing', 'partial', '150,000 instances', 'node:20-slim', 'ENTRYPOINT ["ami-audit"]']) expect(md).toContain(words);
  });

  test('the wrapper for ECS adds --out, copies the folder to S3, and reads the variables the state machine sets', () => {
    const script = wrapperScript();
    expect(commandsIn(script, docEnv)).toEqual([{ args: [], passThrough: true }]);
    expect(script).toMatch(/ami-audit "\$@" --out "\$work\/out"/);
    expect(script).toMatch(/aws s3 sync [^\n]*"\$work\/out" "\$AMI_AUDIT_REPORTS_S3_URI"/);
    // the parts go before the options: a list option (--format) would swallow what follows it
    expect(script).toMatch(/set -- "\$cmd" "\$work"\/in\/shard-\*\/ami-audit-\*\.json "\$@"/);
    expect(script).toMatch(/aws s3 cp [^\n]*"\$AMI_AUDIT_ACCOUNTS_S3_URI" "\$work\/accounts\.json"/);
    expect(script).toContain('set -- "$@" --accounts-file "$work/accounts.json"');
    const m = stateMachine();
    const names = new Set([m.discoverRun, ...m.shards, m.mergeRun].flatMap((r) => Object.keys(r.env)));
    for (const n of names) expect(script).toContain(n);
  });

  test('its code blocks hold the shards of one run and their merge', () => {
    const found = fences(md).flatMap((f) => commandsIn(f.body, docEnv)).filter((c) => !c.passThrough);
    expect(found.map((c) => c.args[0])).toEqual(['scan', 'scan', 'scan', 'merge', 'merge']);
    // the example run discovers once, then gives the file to every shard
    const example = fences(md).find((f) => f.body.includes('for k in'))!;
    const [discovery, ...shards] = commandsIn(example.body, docEnv).map((c) => c.args).filter((a) => a[0] === 'scan');
    discoveryOnce(discovery!, shards, (out) => `${out}/accounts.json`);
  });
});

describe('the recipes name no real account', () => {
  test.each([DOC, K8S, GHA, ASL])('%s', (file) => {
    for (const id of read(file).match(/\b\d{12}\b/g) ?? []) expect(id).toMatch(/^(\d)\1{11}$/);
  });
});

// ---------------------------------------------------------------------------------------------
// Every command against the CLI parser

/** A stream that keeps what is written to it. */
const sink = (): Writable & { text: string } => {
  const w = Object.assign(new Writable({ write: (c, _e, cb) => {
    w.text += String(c);
    cb();
  } }), { text: '' });
  return w;
};
const parser = (stderr: Writable = sink()) => buildParser({ stdout: sink(), stderr, env: {}, now: () => new Date(AS_OF) }, { code: 0 });

async function helpOf(args: string[]): Promise<string> {
  let text = '';
  await parser().wrap(null).parseAsync(args, {}, (_err, _argv, output) => {
    text = output;
  });
  return text;
}

const helps = new Map<string, Promise<string>>();
const help = (command: string | null): Promise<string> => {
  const key = command ?? '';
  if (!helps.has(key)) helps.set(key, helpOf(command ? [command, '--help'] : ['--help']));
  return helps.get(key)!;
};

async function commandNames(): Promise<string[]> {
  return [...(await help(null)).matchAll(/^\s+ami-audit ([\w-]+)/gm)].map((m) => m[1]!);
}

/** The options `<command> --help` lists: name -> whether it is a boolean (and so has --no-name). */
async function optionsOf(command: string): Promise<Map<string, boolean>> {
  const text = await help(command);
  if (!text.startsWith(`ami-audit ${command}`)) return new Map();
  const opts = new Map<string, boolean>();
  for (const m of text.matchAll(/^\s+(?:-(\w), )?--([\w-]+)\s.*$/gm)) {
    const boolean = /\[boolean\]/.test(m[0]);
    opts.set(m[2]!, boolean);
    if (m[1]) opts.set(m[1], boolean);
  }
  return opts;
}

class Stopped extends Error {}

/** Parses the line with the real parser, strict mode and all, and stops before the handler. */
async function dryParse(args: string[]): Promise<{ argv?: Record<string, unknown>; error?: string }> {
  let argv: Record<string, unknown> | undefined;
  const stderr = sink();
  try {
    await parser(stderr).middleware((a) => {
      argv = a;
      throw new Stopped();
    }).parseAsync(args);
  } catch (e) {
    if (e instanceof Stopped) return { argv };
    // (control characters, such as the markers the CLI may put in yargs' messages, as spaces)
    return { error: (e as Error).message.replace(/[\u0000-\u001f]+/g, ' ').trim() };
  }
  return { error: `the parser stopped before the command: ${stderr.text.trim() || '(nothing said)'}` };
}

/**
 * The values the command handlers check after parsing, checked here the same way: formats among
 * the renderers' formats, the as-of by the one instant parser of the model, --deadline as its help
 * describes it (90s, 30m, 2h, up to 7 days), --shard as the contract says (K/N, 1 <= K <= N <= 1000).
 */
function valueProblems(argv: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const list = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(/[\s,]+/)).filter(Boolean);
  if (argv.format !== undefined) for (const f of list(argv.format)) if (!(FORMATS as readonly string[]).includes(f)) problems.push(`--format: "${f}" is not one of ${FORMATS.join(', ')}`);
  if (argv.asOf !== undefined && parseInstantMs(String(argv.asOf)) === null) problems.push(`--as-of: "${String(argv.asOf)}" is not a date or an RFC 3339 date-time`);
  if (argv.deadline !== undefined) {
    const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(String(argv.deadline));
    const ms = m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'] : NaN;
    if (!(ms >= 1000 && ms <= 7 * 86_400_000)) problems.push(`--deadline: "${String(argv.deadline)}" is not a duration such as 90s, 30m or 2h`);
  }
  if (argv.shard !== undefined) {
    const m = SHARD_RE.exec(String(argv.shard));
    if (!m || !(Number(m[1]) >= 1 && Number(m[1]) <= Number(m[2]) && Number(m[2]) <= 1000)) problems.push(`--shard: "${String(argv.shard)}" is not K/N with 1 <= K <= N <= 1000`);
  }
  return problems;
}

/**
 * What is wrong with `ami-audit <args>`, by the CLI's own parser; empty when nothing is. The
 * parser's verdict decides; the help text only explains a rejection (which command or option it
 * does not know), so a change in the help's layout cannot fail a line the parser accepts.
 */
async function cliProblems(args: string[]): Promise<string[]> {
  const { argv, error } = await dryParse(args);
  if (argv) return valueProblems(argv);
  const [command, ...rest] = args;
  const commands = await commandNames();
  if (!command || !commands.includes(command)) return [`unknown command "${command}" (the CLI has ${commands.join(', ')})`];
  const opts = await optionsOf(command);
  const unknown = rest.filter((a) => a.startsWith('-') && a !== '-' && a !== '--').map((a) => a.replace(/^--?/, '').split('=')[0]!)
    .filter((name) => !opts.has(name) && !(name.startsWith('no-') && opts.get(name.slice(3)) === true));
  if (unknown.length) return unknown.map((name) => `unknown option --${name} for ${command}`);
  return [`the parser rejects it: ${error}`];
}

/** Every distinct ami-audit command of the recipes, as the engines would run it. */
function allCommands(): [string, string[]][] {
  const out: [string, string[]][] = [];
  const add = (file: string, args: string[]): void => {
    if (!out.some(([f, a]) => f === file && a.join('\0') === args.join('\0'))) out.push([file, args]);
  };
  const k = k8sCommands();
  for (const a of [k.discovery, ...k.shards, k.merge]) add(K8S, a);
  const w = workflow();
  for (const c of ghCommands(w, w.wf.jobs[w.planId]!, undefined)) add(GHA, c.args);
  for (const v of w.values) for (const c of ghCommands(w, w.shard, v)) add(GHA, c.args);
  for (const c of ghCommands(w, w.merge, undefined)) add(GHA, c.args);
  const m = stateMachine();
  for (const r of [m.discoverRun, ...m.shards, m.mergeRun]) add(ASL, asWrapperRuns(r));
  for (const f of fences(read(DOC))) for (const c of commandsIn(f.body, docEnv)) if (!c.passThrough) add(DOC, c.args);
  return out;
}

describe('the command line checker', () => {
  test('finds unknown commands and options, rejected values and swallowed arguments; passes a good line', async () => {
    expect(await cliProblems(['scan', '--org', '--role-name', 'AmiAuditReadOnly', '--all-regions', '--as-of', AS_OF, '--deadline', '50m', '--format', 'json', '--out', 'out', '--quiet', '--no-verify-ssl'])).toEqual([]);
    expect(await cliProblems(['no-such-command'])).toEqual([expect.stringMatching(/^unknown command "no-such-command"/)]);
    expect(await cliProblems(['scan', '--no-such-option', 'x'])).toEqual(['unknown option --no-such-option for scan']);
    // (the wording of yargs' messages is the CLI's business: only that it rejects them, and why)
    expect(await cliProblems(['scan', '--fail-on', 'severe'])).toEqual([expect.stringMatching(/^the parser rejects it: .*fail-on.*severe/)]);
    expect(await cliProblems(['scan', '--page-size'])).toEqual([expect.stringMatching(/^the parser rejects it: .*page-size/)]);
    expect(await cliProblems(['scan', '--format', 'json', 'a.json'])).toEqual([expect.stringMatching(/^--format: "a\.json" is not one of/)]);
    expect(await cliProblems(['scan', '--as-of', 'yesterday'])).toEqual([expect.stringMatching(/^--as-of: /)]);
  });

  test('reads commands from shell as the shell would', () => {
    const env: Env = { vars: { I: '2', AS_OF }, gh: { 'matrix.shard': '3' } };
    expect(commandsIn('x=1\nami-audit scan --shard $((I + 1))/4 --as-of "$AS_OF" \\\n  --out "dir/${I}" || [ $? -eq 3 ] # done\n', env))
      .toEqual([{ args: ['scan', '--shard', '3/4', '--as-of', AS_OF, '--out', 'dir/2'], passThrough: false }]);
    expect(commandsIn("echo ami-audit scan; ami-audit merge 'a b' ${{ matrix.shard }}&", env)).toEqual([{ args: ['merge', 'a b', '3'], passThrough: false }]);
    expect(commandsIn('# ami-audit scan\nnpm i ./ami-audit-1.tgz\nENTRYPOINT ["ami-audit"]', env)).toEqual([]);
    expect(() => commandsIn('ami-audit scan --out $UNKNOWN', env)).toThrow('no sample value for $UNKNOWN');
  });
});

describe('every ami-audit command of the recipes is one the CLI accepts', () => {
  const commands = allCommands();
  test('there are commands from every file', () => {
    expect(new Set(commands.map(([f]) => f))).toEqual(new Set([DOC, K8S, GHA, ASL]));
  });
  test.each(commands.map(([file, args]) => [file, args.join(' ')] as const))('%s: ami-audit %s', async (file, line) => {
    const args = commands.find(([f, a]) => f === file && a.join(' ') === line)![1];
    expect(await cliProblems(args)).toEqual([]);
  });
});
