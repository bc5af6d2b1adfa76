/** Coverage entries: built by four typed constructors only, and the one rule for instance ids not found. */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { entryProblem, error, mergeMissingIds, ok, partial, skipped, withFailure } from '../../src/model/coverage.js';
import { CoverageLedger } from '../../src/collect/ledger.js';
import { skippedAccountCoverage } from '../../src/collect/org.js';
import { mergeInventories } from '../../src/collect/parallel.js';
import { mergeInputs, parseInputDoc } from '../../src/report/input.js';
import type { CoverageEntry, Inventory } from '../../src/model/types.js';

const A = '111111111111';
const B = '222222222222';
const loop = { action: 'DescribeInstanceImageMetadata', code: 'PaginationLoop', message: 'The token repeated.' };
const denied = { action: 'AssumeRole', code: 'AccessDenied', message: 'Denied.' };
const allowedUnread = { action: 'GetAllowedImagesSettings', code: 'Throttling', message: 'Slow down.' };

describe('the constructors', () => {
  test('each status carries what it requires, and nothing else', () => {
    expect(ok(A, 'us-east-1', { instanceCount: 3 })).toMatchObject({ status: 'ok', errorCode: null, errorMessage: null, reason: null, failures: [], instanceCount: 3 });
    expect(partial(A, 'us-east-1', [loop, allowedUnread])).toMatchObject({ status: 'partial', errorCode: 'PaginationLoop', errorMessage: 'The token repeated.; also GetAllowedImagesSettings: Throttling', failures: [loop, allowedUnread] });
    expect(error(A, 'us-east-1', denied)).toMatchObject({ status: 'error', errorCode: 'AccessDenied', errorMessage: 'Denied.', failures: [denied] });
    expect(skipped(A, 'ap-east-1', 'not-enabled')).toMatchObject({ status: 'skipped', reason: 'not-enabled', errorCode: null, failures: [] });
    for (const c of [ok(A, 'r'), partial(A, 'r', [loop]), error(A, 'r', denied), skipped(A, 'r', 'x', 'why')]) expect(entryProblem(c)).toBeNull();
  });

  test('a failure after the listing: ok becomes partial, an error stays an error, the first code and message are kept', () => {
    expect(withFailure(ok(A, 'r', { instanceCount: 2 }), allowedUnread)).toMatchObject({ status: 'partial', errorCode: 'Throttling', instanceCount: 2, failures: [allowedUnread] });
    expect(withFailure(error(A, 'r', denied), loop)).toMatchObject({ status: 'error', errorCode: 'AccessDenied', errorMessage: 'Denied.', failures: [denied, loop] });
    expect(entryProblem(withFailure(skipped(A, 'r', 'SUSPENDED', 'm'), loop))).toBeNull();
  });

  test('entries that contradict their status are named', () => {
    const edited: CoverageEntry = { ...error(A, 'us-east-1', denied), status: 'ok' };
    expect(entryProblem(edited)).toMatch(/status ok, yet it carries errorCode "AccessDenied" and 1 failure/);
    expect(entryProblem({ ...ok(A, 'r'), status: 'partial' })).toMatch(/status partial without an errorCode/);
    expect(entryProblem({ ...ok(A, 'r'), status: 'skipped' })).toMatch(/skipped without a reason/);
  });

  test('every place that builds an entry builds a settled, consistent one', () => {
    const ledger = new CoverageLedger();
    ledger.open(A, 'us-east-1');
    ledger.open(A, 'eu-west-1');
    ledger.skip(A, 'ap-east-1', 'not-enabled');
    ledger.fail(A, 'eu-west-1', denied);
    const closed = ledger.close({ action: 'Run', code: 'Interrupted', message: 'Stopped.' });
    expect(closed.map((c) => [c.region, c.status, c.errorCode])).toEqual([['ap-east-1', 'skipped', null], ['eu-west-1', 'error', 'AccessDenied'], ['us-east-1', 'error', 'Interrupted']]);
    const org = skippedAccountCoverage([{ accountId: B, state: 'SUSPENDED' }], ['us-east-1']);
    // a dump with a NextToken, and an instance whose AMI is not allowed: both failures, first the incomplete listing
    const dump = parseInputDoc('dump.json', { InstanceImageMetadata: [{ InstanceId: 'i-0123456789abcdef0', OwnerId: A, AvailabilityZone: 'us-east-1a', ImageMetadata: { ImageId: 'ami-0123456789abcdef0', ImageAllowed: false } }], NextToken: 'more' });
    const fromDump = mergeInputs([dump], '2026-11-26T00:00:00Z').inventory.coverage;
    expect(fromDump).toEqual([expect.objectContaining({ status: 'partial', errorCode: 'IncompleteDump', instanceCount: 1 })]);
    expect(fromDump[0]!.failures.map((f) => f.code)).toEqual(['IncompleteDump', 'NotInDump']);
    for (const c of [...closed, ...org, ...fromDump]) expect(`${c.accountId} ${c.region}: ${entryProblem(c)}`).toBe(`${c.accountId} ${c.region}: null`);
  });

  test('no module builds an entry by hand or corrects its status afterwards', () => {
    const files = ['report', 'collect', 'cli', 'cli/commands'].flatMap((d) => readdirSync(new URL(`../../src/${d}/`, import.meta.url)).filter((f) => f.endsWith('.ts')).map((f) => `${d}/${f}`));
    const offenders = files.filter((f) => f !== 'report/coverage.ts').filter((f) => {
      const text = readFileSync(new URL(`../../src/${f}`, import.meta.url), 'utf8');
      return /emptyCoverage|\b(cov|c|entry)\.status\s*=[^=]|\.errorCode\s*=[^=]/.test(text);
    });
    expect(offenders).toEqual([]);
  });
});

describe('instance ids asked for and not found: one rule for every merge', () => {
  const X = 'i-0123456789abcdef0';
  test('not found only if every scope of every part was listed completely; otherwise unchecked', () => {
    const complete = [ok(A, 'us-east-1'), partial(A, 'eu-west-1', [allowedUnread]), skipped(A, 'ap-east-1', 'not-enabled')];
    expect(mergeMissingIds([{ notFoundInstanceIds: [X] }], new Set(), complete)).toEqual({ notFoundInstanceIds: [X], uncheckedInstanceIds: [] });
    expect(mergeMissingIds([{ notFoundInstanceIds: [X] }, { notFoundInstanceIds: [], uncheckedInstanceIds: [X] }], new Set(), [...complete, partial(B, 'us-east-1', [loop])]))
      .toEqual({ notFoundInstanceIds: [], uncheckedInstanceIds: [X] });
    expect(mergeMissingIds([{ notFoundInstanceIds: [X] }], new Set([X]), [error(B, 'r', denied)])).toEqual({ notFoundInstanceIds: [], uncheckedInstanceIds: [] });
  });

  test('the worker threads\' merge: a share with a partial scope makes the others\' misses unchecked', () => {
    const inv = (accountId: string, coverage: CoverageEntry[], ids: Partial<Inventory>): Inventory => ({
      run: { id: 'r', startedAt: 'T', finishedAt: 'T', caller: { accountId: null, arn: null }, accounts: [accountId], regions: ['us-east-1'], options: {}, interrupted: false, source: 'scan' },
      coverage, instances: [], notFoundInstanceIds: [], ...ids,
    });
    // share A found Y and could not list a page; share B looked everywhere and found neither
    const Y = 'i-0fedcba9876543210';
    const a = inv(A, [partial(A, 'us-east-1', [loop])], { notFoundInstanceIds: [], uncheckedInstanceIds: [X] });
    const b = inv(B, [ok(B, 'us-east-1')], { notFoundInstanceIds: [X, Y], uncheckedInstanceIds: [] });
    const m = mergeInventories([a, b], 'T', 'T', [X, Y]);
    expect({ notFound: m.notFoundInstanceIds, unchecked: m.uncheckedInstanceIds }).toEqual({ notFound: [], unchecked: [X] });
  });
});
