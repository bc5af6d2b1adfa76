/** The demo discovers its accounts with AWS Organizations, as the management account would. */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { cli } from '../helpers/cli.js';
import { demoConfig } from '../../src/cli/demo-config.js';
import { DEMO_ACCOUNTS, DEMO_ORGANIZATION, DEMO_PUBLISHER } from '../../src/emulator/demo.js';
import { DEMO_PUBLISHER_DIR, worstExitCode } from '../../src/cli/commands/demo.js';
import type { Report } from '../../src/model/types.js';

describe('demo', () => {
  test('its config asks for organisation discovery instead of listing the accounts', () => {
    const cfg = demoConfig(DateTime.fromISO('2026-11-26T00:00:00Z', { zone: 'utc' }));
    expect(cfg.organization).toBe(true);
    expect(cfg.accounts).toBeUndefined();
    expect(cfg.roleName).toBe('AmiAuditReadOnly');
    expect(cfg.waivers?.length).toBe(3);
  });
  test('the report names the organisation, its accounts, and the ones not ACTIVE as skipped', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ami-audit-demo-'));
    const r = await cli(['demo', '--out', out, '--format', 'json']);
    expect(r.code).toBe(3);
    const rep: Report = JSON.parse(readFileSync(join(out, readdirSync(out).find((f) => f.endsWith('.json'))!), 'utf8'));
    expect((rep.run.options as { organization?: { id: string } }).organization?.id).toBe(DEMO_ORGANIZATION.id);
    expect(rep.run.accounts).toEqual(expect.arrayContaining([...Object.values(DEMO_ACCOUNTS), DEMO_ORGANIZATION.suspended, DEMO_ORGANIZATION.closed]));
    expect(rep.coverage.filter((c) => c.accountId === DEMO_ORGANIZATION.suspended).every((c) => c.status === 'skipped')).toBe(true);
    expect(rep.accounts.find((a) => a.accountId === DEMO_ACCOUNTS.prod)?.name).toBe('payments-prod');
    // the demo looks successors up: the plan answers "replace it with what"
    expect(rep.run.options.successors).toBe(true);
    const found = rep.images.filter((i) => Object.values(i.successor ?? {}).some((x) => x.status === 'found'));
    expect(found.length).toBeGreaterThan(0);
  }, 60_000);

  test('it shows the publisher view too: the images audit of the same organisation in <out>/your-amis/, every format the demo writes, said on the terminal', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ami-audit-demo-'));
    const r = await cli(['demo', '--out', out, '--format', 'json', 'csv', 'md', '--no-history']);
    expect(DEMO_PUBLISHER_DIR).toBe('your-amis');
    const dir = join(out, DEMO_PUBLISHER_DIR);
    const files = readdirSync(dir);
    const json = files.find((f) => /^ami-audit-.*Z\.json$/.test(f))!;
    expect(json).toBeDefined();
    expect(files.some((f) => f.endsWith('-owned-images.csv'))).toBe(true);
    expect(files.some((f) => f.endsWith('.md'))).toBe(true);
    const rep: Report = JSON.parse(readFileSync(join(dir, json), 'utf8'));
    // the golden AMI, shared to three accounts (one outside), deprecated, unprotected: the blast radius first
    const first = rep.ownedImages![0]!;
    expect(first.imageId).toBe(DEMO_PUBLISHER.goldenImageId);
    expect(first.usage?.status).toBe('known');
    expect(first.usage!.consumers.filter((c) => c.instances + c.launchTemplates > 0).map((c) => c.accountId).sort()).toEqual([DEMO_ACCOUNTS.dev, DEMO_ACCOUNTS.prod, DEMO_PUBLISHER.outsideAccount].sort());
    expect(rep.findings.filter((f) => f.imageId === DEMO_PUBLISHER.goldenImageId).map((f) => f.ruleId)).toEqual(expect.arrayContaining(['deprecated-ami-in-use', 'shared-outside-org', 'unprotected-ami-in-use']));
    expect(rep.instances).toEqual([]);
    // the instance scan's reports stay where they were
    expect(readdirSync(out).some((f) => /^ami-audit-.*Z\.json$/.test(f))).toBe(true);
    // the terminal says where the publisher report is
    expect(r.stderr + r.stdout).toContain(dir);
    // both runs leave a scope uncovered (the account without the role): 3
    expect(r.code).toBe(3);
  }, 120_000);

  test('its exit code is the worse of the scan\'s and the images audit\'s: 3 over 1 over 0', () => {
    expect(worstExitCode(0, 0)).toBe(0);
    expect(worstExitCode(0, 1)).toBe(1);
    expect(worstExitCode(1, 0)).toBe(1);
    expect(worstExitCode(1, 3)).toBe(3);
    expect(worstExitCode(3, 1)).toBe(3);
    expect(worstExitCode(3, 0)).toBe(3);
    expect(worstExitCode(0, 4)).toBe(4);
  });
});
