/**
 * `ami-audit diff` and `--baseline` end to end: findings of a scope the newer run could not check
 * are unverified, never resolved; saved reports are untrusted on the terminal; partial coverage
 * wins over --fail-on.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Emulator } from '../../src/emulator/server.js';
import type { CoverageEntry, InstanceRecord, Report } from '../../src/model/types.js';
import { buildReport } from '../../src/report/build.js';
import { DEFAULT_SETTINGS } from '../../src/rules/engine.js';
import { ok as okScope } from '../../src/model/coverage.js';
import { contentText, renderFormat } from '../../src/render/index.js';
import { renderTextSummary } from '../../src/render/text.js';
import { loadTemplates } from '../../src/io/files.js';
import { exitCodeFor } from '../../src/cli/pipeline.js';
import { EXIT } from '../../src/model/errors.js';
import { emulator } from '../helpers/emulator.js';
import { cli } from '../helpers/cli.js';
import { record } from '../helpers/records.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'ami-audit-diff-'));
const jsonIn = (dir: string): string => join(dir, readdirSync(dir).find((f) => f.endsWith('.json'))!);
const AS_OF = DateTime.fromISO('2026-11-26T00:00:00Z', { zone: 'utc' });
/** What a terminal acts on: C0 controls but newline, DEL, C1 controls (CSI 0x9b included), bidi and zero-width controls. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/;

function saved(dir: string, name: string, report: Report): string {
  const path = join(dir, name);
  writeFileSync(path, contentText(renderFormat('json', report, loadTemplates())[0]!));
  return path;
}

function reportOf(id: string, coverage: CoverageEntry[], instances: InstanceRecord[]): Report {
  return buildReport({
    inventory: {
      run: { id, startedAt: '2026-11-26T00:00:00Z', finishedAt: '2026-11-26T00:00:01Z', caller: { accountId: null, arn: null }, accounts: [...new Set(coverage.map((c) => c.accountId))], regions: ['us-east-1'], options: {}, interrupted: false, source: 'scan' },
      coverage, instances, notFoundInstanceIds: [],
    },
    settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 't' },
  });
}

const ok = (a: string, r = 'us-east-1'): CoverageEntry => ({ ...okScope(a, r), allowedImagesState: 'disabled' });
const failed = (a: string, r = 'us-east-1'): CoverageEntry => ({ ...okScope(a, r), status: 'error', errorCode: 'UnauthorizedOperation', errorMessage: 'You are not authorized to perform this operation.' });
const dereg = (a: string, n: number, r = 'us-east-1'): InstanceRecord => record({ State: 'deregistered' }, { accountId: a, region: r, OwnerId: a, InstanceId: `i-${a.slice(0, 3)}${String(n).padStart(14, '0')}` });

describe('ami-audit diff reads coverage', () => {
  const dir = tmp();
  const oldFile = saved(dir, 'old.json', reportOf('run-old', [ok('111111111111'), ok('222222222222')], [dereg('111111111111', 1), dereg('111111111111', 2), dereg('222222222222', 1), dereg('222222222222', 2)]));
  const newFile = saved(dir, 'new.json', reportOf('run-new', [ok('111111111111'), failed('222222222222')], [dereg('111111111111', 2)]));

  test('text: a failed scope\'s findings are unverified with the reason, not resolved', async () => {
    const r = await cli(['diff', oldFile, newFile]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('ami-audit diff: 0 new, 0 escalated, 1 resolved, 2 unverified, 0 changed, 1 unchanged');
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.trimStart().startsWith('resolved')).map((l) => l.includes('111111111111'))).toEqual([true]);
    const unverified = lines.filter((l) => l.trimStart().startsWith('unverified '));
    expect(unverified).toHaveLength(2);
    for (const l of unverified) expect(l).toMatch(/222222222222 .*\(scope error in the new run\)/);
    expect(r.stdout).toMatch(/not resolved/);
  });
  test('json: every bucket, with the reason', async () => {
    const r = await cli(['diff', oldFile, newFile, '--format', 'json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.counts).toEqual({ new: 0, escalated: 0, resolved: 1, unverified: 2, changed: 0, unchanged: 1 });
    expect(d.unverified.map((u: { accountId: string; scope: unknown }) => [u.accountId, u.scope])).toEqual([
      ['222222222222', { baseline: 'ok', current: 'error' }], ['222222222222', { baseline: 'ok', current: 'error' }],
    ]);
    expect(d.scopes).toEqual({ added: [], removed: [] });
  });
});

describe('saved reports are untrusted on the terminal', () => {
  test('diff text and json print no raw control, escape or bidi characters', async () => {
    const dir = tmp();
    const evil = (s: string) => `${s}\u001b[31m\u009b2J\u202e\u0007`;
    const before = reportOf('run-old', [ok('111111111111')], [dereg('111111111111', 1)]);
    const after = reportOf(evil('run-new'), [ok('111111111111')], []);
    // findings of a hostile baseline: every string a renderer prints
    before.run.id = evil('run-old');
    // (account ids and regions that are not ids are refused where saved reports are read)
    before.findings = before.findings.map((f) => ({ ...f, instanceId: evil(f.instanceId), imageId: evil('ami'), ruleId: evil(f.ruleId), message: evil(f.message) }));
    const o = saved(dir, 'old.json', before), n = saved(dir, 'new.json', after);
    for (const format of ['text', 'json']) {
      const r = await cli(['diff', o, n, '--format', format]);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(RAW_CONTROL);
      if (format === 'json') {
        // the data is intact: escaped, not altered
        expect(JSON.parse(r.stdout).resolved[0].instanceId).toBe(before.findings[0]!.instanceId);
      } else {
        expect(r.stdout).toContain('run-old');
      }
    }
  });
  test('the terminal summary escapes account ids and regions of coverage gaps', () => {
    const r = reportOf('x', [{ ...failed('111111111111'), region: 'us-east-1\u001b]0;pwned\u0007' }], []);
    expect(renderTextSummary(r)).not.toMatch(RAW_CONTROL);
  });
});

describe('exit codes: partial coverage (3) wins over findings at or above --fail-on (1)', () => {
  const partial = reportOf('p', [ok('111111111111'), failed('222222222222')], [dereg('111111111111', 1)]);
  const complete = reportOf('c', [ok('111111111111')], [dereg('111111111111', 1)]);
  test('exitCodeFor', () => {
    expect(exitCodeFor(partial, 'high')).toBe(EXIT.partial);
    expect(exitCodeFor(partial, undefined)).toBe(EXIT.partial);
    expect(exitCodeFor(complete, 'high')).toBe(EXIT.findings);
    expect(exitCodeFor(complete, 'critical')).toBe(EXIT.ok);
  });
  test('the summary line states both', () => {
    const head = renderTextSummary(partial, [], { failOn: 'high' }).split('\n')[0]!;
    expect(head).toMatch(/run PARTIAL as of .*; 1 unwaived findings at or above high/);
    expect(renderTextSummary(complete, [], { failOn: 'critical' }).split('\n')[0]).toMatch(/run COMPLETE .*; 0 unwaived findings at or above critical/);
    expect(renderTextSummary(complete).split('\n')[0]).not.toContain('at or above');
  });
  test('report --input of a partial report with --fail-on high exits 3', async () => {
    const dir = tmp();
    const r = await cli(['report', '--input', saved(dir, 'p.json', partial), '--fail-on', 'high', '--format', 'json', '--out', join(dir, 'out')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/run PARTIAL/);
  });
});

describe('scan --baseline against the local endpoint', () => {
  let e: Emulator;
  let broken: Emulator;
  beforeAll(async () => {
    e = await emulator();
    broken = await emulator({ faults: { rules: [{ service: 'ec2', action: 'DescribeInstanceImageMetadata', account: '333333333333', error: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' }] } });
  });
  afterAll(async () => {
    await e.close();
    await broken.close();
  });

  test('a scope that fails in the newer run: its findings are unverified in the summary and the JSON, none resolved', async () => {
    const out = tmp();
    const args = (url: string, dir: string) => ['scan', '--endpoint-url', url, '--accounts', '222222222222', '333333333333', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--format', 'json', '--out', dir, '--quiet'];
    const first = await cli(args(e.url, join(out, 'a')));
    expect(first.code).toBe(0);
    const baseline = JSON.parse(readFileSync(jsonIn(join(out, 'a')), 'utf8')) as Report;
    const of333 = baseline.findings.filter((f) => f.accountId === '333333333333').length;
    expect(of333).toBeGreaterThan(0);
    // without --quiet: the whole summary, its diff lines included
    const second = await cli([...args(broken.url, join(out, 'b')).filter((x) => x !== '--quiet'), '--baseline', jsonIn(join(out, 'a'))]);
    expect(second.code).toBe(3);
    const rep = JSON.parse(readFileSync(jsonIn(join(out, 'b')), 'utf8')) as Report;
    expect(rep.coverage.find((c) => c.accountId === '333333333333')!.status).toBe('error');
    expect(rep.diff!.resolved).toEqual([]);
    expect(rep.diff!.counts.unverified).toBe(of333);
    expect(rep.diff!.unverified.every((u) => u.accountId === '333333333333' && u.scope.current === 'error')).toBe(true);
    expect(second.stdout).toContain(`0 resolved, ${of333} unverified`);
    expect(second.stdout).toMatch(/333333333333 us-east-1 .*scope error in this run/);
  });
});

describe('escalation: re-rendering the demo report later is not "resolved"', () => {
  test('report --input DEMO.json --as-of 2027-01-15 --baseline DEMO.json: deprecation-soon findings escalated to deprecated-ami, none resolved', async () => {
    const e = await emulator();
    const dir = tmp();
    try {
      const first = join(dir, 'first');
      const s = await cli(['scan', '--endpoint-url', e.url, '--org', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', 'eu-west-1', '--format', 'json', '--out', first, '--quiet', '--no-history'], { env: { AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST0000', AWS_SECRET_ACCESS_KEY: 'test-secret-key-do-not-print', AWS_REGION: 'us-east-1' } });
      expect(s.stderr).toBe('');
      const base = jsonIn(first);
      const earlier = JSON.parse(readFileSync(base, 'utf8')) as Report;
      const soon = earlier.findings.filter((f) => f.ruleId === 'deprecation-soon');
      expect(soon.length).toBeGreaterThan(0);
      const later = join(dir, 'later');
      const r = await cli(['report', '--input', base, '--as-of', '2027-01-15', '--baseline', base, '--format', 'json', '--out', later, '--quiet']);
      expect(r.stderr).toBe('');
      const d = (JSON.parse(readFileSync(jsonIn(later), 'utf8')) as Report).diff!;
      expect(d.counts.escalated).toBe(soon.length);
      expect(d.escalated!.map((x) => [x.ruleId, x.from.id]).sort()).toEqual(soon.map((f) => ['deprecated-ami', f.id]).sort());
      expect(d.resolved.map((x) => x.id)).toEqual([]);
      expect(d.new.filter((x) => x.ruleId === 'deprecated-ami')).toEqual([]);
      expect(d.current).toEqual({ runId: expect.any(String), asOf: '2027-01-15T00:00:00Z' });
    } finally {
      await e.close();
    }
  }, 60_000);
});
