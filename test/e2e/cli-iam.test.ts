/** `ami-audit iam-policy`: one IAM document on stdout per invocation, as iamDocument makes it. */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { iamDocument, ORGANIZATIONS_ACTIONS } from '../../src/cli/iam.js';

const RUNNER = 'arn:aws:iam::111122223333:role/AmiAuditRunner';
const base = { roleName: 'AmiAuditReadOnly', org: false };

async function doc(args: string[]): Promise<string> {
  const r = await cli(['iam-policy', ...args]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  return r.stdout;
}

describe('iam-policy', () => {
  test.each([
    [['--part', 'member'], { part: 'member' as const }],
    [['--part', 'caller'], { part: 'caller' as const }],
    [['--part', 'caller', '--org'], { part: 'caller' as const, org: true }],
    [['--part', 'caller', '--role-name', 'Auditor'], { part: 'caller' as const, roleName: 'Auditor' }],
    [['--part', 'trust', '--trusted-principal', RUNNER], { part: 'trust' as const, trustedPrincipalArn: RUNNER }],
    [['--part', 'trust', '--trusted-principal', RUNNER, '--external-id', 'xid-1234'], { part: 'trust' as const, trustedPrincipalArn: RUNNER, externalId: 'xid-1234' }],
    [['--cloudformation'], { cloudformation: true }],
    [['--cloudformation', '--role-name', 'Auditor'], { cloudformation: true, roleName: 'Auditor' }],
  ])('%j prints exactly iamDocument\'s document', async (args, o) => {
    const out = await doc(args);
    expect(out).toBe(iamDocument({ ...base, ...o }));
    expect(JSON.parse(out)).toBeDefined();
  });
  test('without --part: the member role\'s policy, the default iam.ts documents', async () => {
    expect(await doc([])).toBe(iamDocument({ ...base, part: 'member' }));
  });
  test('--org adds the Organizations reads to the caller policy', async () => {
    const p = JSON.parse(await doc(['--part', 'caller', '--org']));
    const actions = p.Statement.flatMap((s: { Action: string[] }) => s.Action);
    for (const a of ORGANIZATIONS_ACTIONS) expect(actions).toContain(a);
  });
  test('--config gives roleName, externalId and organization; flags win', async () => {
    const cfg = join(mkdtempSync(join(tmpdir(), 'ami-audit-iam-')), 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ roleName: 'FromConfig', externalId: 'cfg-external-id', organization: { ous: ['ou-ab12-cd34ef56'] } }));
    expect(await doc(['--part', 'caller', '--config', cfg])).toBe(iamDocument({ ...base, part: 'caller', roleName: 'FromConfig', org: true }));
    expect(await doc(['--part', 'trust', '--trusted-principal', RUNNER, '--config', cfg])).toBe(iamDocument({ ...base, part: 'trust', roleName: 'FromConfig', trustedPrincipalArn: RUNNER, externalId: 'cfg-external-id' }));
    expect(await doc(['--part', 'caller', '--config', cfg, '--role-name', 'Flag', '--no-org'])).toBe(iamDocument({ ...base, part: 'caller', roleName: 'Flag', org: false }));
    expect(await doc(['--cloudformation', '--config', cfg])).toBe(iamDocument({ ...base, cloudformation: true, roleName: 'FromConfig' }));
  });
  test.each([
    [['--part', 'trust'], /^ami-audit: --part trust needs --trusted-principal/],
    [['--part', 'trust', '--trusted-principal', 'bob'], /^ami-audit: --trusted-principal: "bob" is not/],
    [['--part', 'caller', '--role-name', 'arn:aws:iam::1:role/x'], /^ami-audit: --role-name: .*give a name, not an ARN/],
    [['--part', 'member', '--cloudformation'], /^ami-audit: --cloudformation .*leave out --part/],
    [['--part', 'owner'], /^ami-audit: --part: "owner" is not one of caller, member, trust/],
    [['--part', 'member', '--org'], /^ami-audit: --org is for --part caller/],
    [['--part', 'caller', '--external-id', 'xid-1234'], /^ami-audit: --external-id is for --part trust/],
    [['--part', 'caller', '--trusted-principal', RUNNER], /^ami-audit: --trusted-principal is for --part trust/],
  ])('%j is a clear error, exit 2, nothing on stdout', async (args, pattern) => {
    const r = await cli(['iam-policy', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
  });
  test('the external id of a config is not printed by the parts that do not take it', async () => {
    const cfg = join(mkdtempSync(join(tmpdir(), 'ami-audit-iam-')), 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ externalId: 'cfg-secret-external-id' }));
    for (const part of ['member', 'caller']) expect(await doc(['--part', part, '--config', cfg])).not.toContain('cfg-secret-external-id');
  });
});
