/** The demo discovers its accounts with AWS Organizations, as the management account would. */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { cli } from '../helpers/cli.js';
import { demoConfig } from '../../src/cli/demo-config.js';
import { DEMO_ACCOUNTS, DEMO_ORGANIZATION } from '../../src/emulator/demo.js';
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
});
