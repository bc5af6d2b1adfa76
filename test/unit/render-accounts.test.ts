/**
 * Account names and OU paths in every format: the label helper, the CSV columns, the Markdown, the
 * terminal summary and the HTML (names beside ids, the OU filter's choices, a suspended account
 * shown as skipped). Names come from AWS Organizations or a config file: hostile ones are escaped
 * or bounded in every format.
 */
import { describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { accountIndex, accountLabel, isAccountState, NAME_MAX } from '../../src/render/accounts.js';
import { COVERAGE_COLUMNS, FINDING_COLUMNS, findingColumns, renderCoverageCsv, renderFindingsCsv } from '../../src/render/csv.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderTextSummary } from '../../src/render/text.js';
import { htmlView, renderHtml } from '../../src/render/html.js';
import { gapHead, gapText } from '../../src/render/summary.js';
import { loadTemplates } from '../../src/io/files.js';
import { FIXTURE_ACCOUNTS, fixtureReport, generatedReport, SUSPENDED_ACCOUNT } from '../helpers/fixture.js';
import type { AccountInfo, Report } from '../../src/model/types.js';

const report = fixtureReport();
const templates = loadTemplates();
const byId = new Map(FIXTURE_ACCOUNTS.map((a) => [a.accountId, a]));

/** Names an attacker (or a careless admin) could give an account, and OU paths to match. */
const HOSTILE_NAMES = {
  '111111111111': '<script>alert("name")</script>',
  '222222222222': "=cmd|' /C calc'!A0",
  '333333333333': `long-${'n'.repeat(300)}`,
  '444444444444': 'two\nlines | pipe `tick` *star*',
  [SUSPENDED_ACCOUNT]: '\u001b[31mred\u001b[0m \u202eevil\u202c',
} as Record<string, string>;

/** The fixture with hostile account names and OU paths. */
function hostile(r: Report): Report {
  return {
    ...r,
    accounts: r.accounts.map((a): AccountInfo => ({ ...a, name: HOSTILE_NAMES[a.accountId] ?? a.name, ouPath: a.ouPath === null ? null : `Root/<b>OU</b>\n=${a.ouPath}` })),
  };
}

describe('the account label helper', () => {
  test('an id with its name, or the id alone', () => {
    expect(accountLabel('123456789012', 'payments-prod')).toBe('123456789012 (payments-prod)');
    expect(accountLabel('123456789012', null)).toBe('123456789012');
    expect(accountLabel('123456789012', '')).toBe('123456789012');
  });
  test('reads the report\'s accounts: name, OU path, state; an account it does not know is its id alone', () => {
    const dir = accountIndex(report);
    expect(dir.label('222222222222')).toBe('222222222222 (payments-prod)');
    expect(dir.name('222222222222')).toBe('payments-prod');
    expect(dir.ouPath('222222222222')).toBe('Root/Workloads/Prod');
    expect(dir.ouPath('444444444444')).toBeNull();
    expect(dir.state(SUSPENDED_ACCOUNT)).toBe('SUSPENDED');
    expect(dir.label('123412341234')).toBe('123412341234');
    expect(dir.ouPath('123412341234')).toBeNull();
    // a report written before accounts existed
    expect(accountIndex({ accounts: undefined } as unknown as Report).label('222222222222')).toBe('222222222222');
  });
  test('the OU choices: every OU path and the OUs above it, and whether some account has none', () => {
    const dir = accountIndex(report);
    expect(dir.ous()).toMatchObject({ paths: ['Root', 'Root/Sandbox', 'Root/Security', 'Root/Workloads', 'Root/Workloads/Dev', 'Root/Workloads/Prod'], none: true });
    expect(accountIndex({ ...report, accounts: report.accounts.filter((a) => a.ouPath !== null) }).ous().none).toBe(false);
    expect(accountIndex({ ...report, accounts: report.accounts.map((a) => ({ ...a, ouPath: null })) }).ous()).toEqual({ paths: [], keys: [], none: true });
  });
  test('an OU whose name holds "/" is one OU choice, not two that do not exist; the choices follow the OU ids', () => {
    const parts = [{ id: 'r-1', name: 'Root' }, { id: 'ou-1', name: 'Team A/B' }];
    const r = {
      ...report,
      accounts: [
        { accountId: '111111111111', name: 'a', ouPath: 'Root/Team A/B', ouPathParts: parts, state: 'ACTIVE' },
        // two OUs of one name under one parent stay two OUs
        { accountId: '222222222222', name: 'b', ouPath: 'Root/Twin', ouPathParts: [parts[0]!, { id: 'ou-2', name: 'Twin' }], state: 'ACTIVE' },
        { accountId: '333333333333', name: 'c', ouPath: 'Root/Twin', ouPathParts: [parts[0]!, { id: 'ou-3', name: 'Twin' }], state: 'ACTIVE' },
      ],
    };
    const dir = accountIndex(r);
    expect(dir.ous()).toEqual({ paths: ['Root', 'Root/Team A/B', 'Root/Twin', 'Root/Twin'], keys: ['r-1', 'r-1/ou-1', 'r-1/ou-2', 'r-1/ou-3'], none: false });
    expect(dir.ouKeys('111111111111')).toEqual(['r-1', 'r-1/ou-1']);
    const view = htmlView(r);
    expect(view.data.ous).toEqual(['Root', 'Root/Team A/B', 'Root/Twin', 'Root/Twin']);
    // each account with findings (222222222222, 333333333333): its OUs as indexes of the choices
    expect(view.data.accounts).toEqual(['222222222222', '333333333333']);
    expect(view.data.accountOus).toEqual([[0, 2], [0, 3]]);
    expect(view.matrix.map((m) => m.ouIndexes)).toEqual(['0 1', '0 2', '0 3', null, null]);
    // a report without the list (written before it existed) splits the path as it did
    expect(accountIndex(report).ouKeys('222222222222')).toEqual(['Root', 'Root/Workloads', 'Root/Workloads/Prod']);
  });
  test('a hostile name is one line, without escape sequences or bidirectional controls, and bounded', () => {
    const dir = accountIndex(hostile(report));
    expect(dir.name(SUSPENDED_ACCOUNT)).toBe('red evil');
    expect(dir.name('444444444444')).toBe('two lines | pipe `tick` *star*');
    const long = dir.name('333333333333')!;
    expect([...long]).toHaveLength(NAME_MAX);
    expect(long.endsWith('…')).toBe(true);
    expect(dir.ouPath('222222222222')).toBe('Root/<b>OU</b> =Root/Workloads/Prod');
  });
  test('a scope skipped because its account is not ACTIVE reads "skipped (STATE)"; a region skip keeps its reason', () => {
    expect(isAccountState('SUSPENDED')).toBe(true);
    expect(isAccountState('CLOSED')).toBe(true);
    expect(isAccountState('not-enabled')).toBe(false);
    expect(isAccountState(null)).toBe(false);
    const suspended = report.coverage.find((c) => c.accountId === SUSPENDED_ACCOUNT)!;
    expect(gapText(suspended)).toBe('skipped (SUSPENDED)');
    expect(gapText({ ...suspended, reason: 'not-enabled' })).toBe('skipped: not-enabled');
    const gap = report.coverageGaps.find((g) => g.accountId === SUSPENDED_ACCOUNT)!;
    expect(gapHead(gap)).toBe('skipped (SUSPENDED)');
    expect(gapHead({ ...gap, cause: 'not-offered' })).toBe('skipped: not-offered');
  });
});

describe('CSV', () => {
  const rows = (text: string) => parse(text, { bom: true, columns: true }) as Record<string, string>[];
  test('the findings CSV has accountName and ouPath, added after the frozen columns and before the tag columns', () => {
    // resourceType and resourceArn came after them
    expect(FINDING_COLUMNS.slice(-10, -8)).toEqual(['accountName', 'ouPath']);
    expect(FINDING_COLUMNS.slice(0, 6)).toEqual(['id', 'severity', 'ruleId', 'accountId', 'region', 'instanceId']);
    expect(findingColumns({ tagColumns: ['team', 'ouPath'] }).slice(-12)).toEqual(['accountName', 'ouPath', 'resourceType', 'resourceArn', 'firstSeenAt', 'ageDays', 'dueAt', 'overdue', 'lifecycle', 'controls', 'team', 'tag:ouPath']);
    const csv = rows(renderFindingsCsv(report));
    expect(csv).toHaveLength(report.findings.length);
    report.findings.forEach((f, i) => {
      expect(csv[i]!.accountId).toBe(f.accountId);
      expect(csv[i]!.accountName).toBe(byId.get(f.accountId)?.name ?? '');
      expect(csv[i]!.ouPath).toBe(byId.get(f.accountId)?.ouPath ?? '');
    });
  });
  test('the coverage CSV has them too; the suspended account\'s scopes are skipped with its state', () => {
    expect(COVERAGE_COLUMNS.slice(-3, -1)).toEqual(['accountName', 'ouPath']);
    const csv = rows(renderCoverageCsv(report));
    const suspended = csv.filter((c) => c.accountId === SUSPENDED_ACCOUNT);
    expect(suspended).toHaveLength(4);
    for (const c of suspended) expect(c).toMatchObject({ status: 'skipped', reason: 'SUSPENDED', accountName: 'old-sandbox', ouPath: 'Root/Sandbox' });
    expect(csv.find((c) => c.accountId === '444444444444')).toMatchObject({ accountName: 'legacy', ouPath: '' });
  });
  test('hostile names are kept whole as data, formulas neutralised, control characters dropped', () => {
    const r = hostile(report);
    const findings = rows(renderFindingsCsv(r));
    const coverage = rows(renderCoverageCsv(r));
    for (const row of [...findings, ...coverage]) {
      for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+\-@\t\r]|\u001b/);
    }
    expect(findings.find((x) => x.accountId === '222222222222')!.accountName).toBe("'=cmd|' /C calc'!A0");
    expect(coverage.find((x) => x.accountId === '333333333333')!.accountName).toBe(HOSTILE_NAMES['333333333333']);
    expect(coverage.find((x) => x.accountId === '444444444444')!.accountName).toBe(HOSTILE_NAMES['444444444444']);
    expect(coverage.find((x) => x.accountId === '111111111111')!.ouPath).toBe('Root/<b>OU</b>\n=Root/Security');
  });
  test('a report without account names has empty name and OU cells', () => {
    const csv = rows(renderFindingsCsv({ ...report, accounts: [] }));
    expect(csv.every((x) => x.accountName === '' && x.ouPath === '')).toBe(true);
  });
});

describe('Markdown', () => {
  const md = renderMarkdown(report);
  test('gap lines name the account and its OU; the suspended account reads "skipped (SUSPENDED)"', () => {
    expect(md).toContain('- 444444444444 (legacy): error: AccessDenied in 3 regions');
    expect(md).toContain('- 222222222222 (payments-prod, Root/Workloads/Prod): error: AuthFailure in ap-east-1');
    expect(md).toContain('- 777777777777 (old-sandbox, Root/Sandbox): skipped (SUSPENDED) in 4 regions');
  });
  test('the plan\'s accounts and the findings tables of a diff carry names', () => {
    expect(md).toContain('| 222222222222 (payments-prod), 333333333333 (data-dev) |');
    // an AMI owned by an account of the run: its owner named too
    expect(md).toContain('| payments-api-2025-03-01 | 222222222222 (payments-prod) | high |');
    const base = { ...report, run: { ...report.run, id: 'run-base' }, findings: report.findings.slice(1) };
    const withDiff = fixtureReport(base);
    const f = report.findings[0]!;
    expect(renderMarkdown(withDiff)).toContain(`| ${f.severity} | ${f.ruleId} | ${accountLabel(f.accountId, byId.get(f.accountId)!.name)} | ${f.region} |`);
  });
  test('hostile names are escaped and bounded: no HTML, no table break, no line break', () => {
    const out = renderMarkdown(hostile(report));
    expect(out).not.toMatch(/<script|<b>|\u001b|\u202e/);
    expect(out).toContain('&lt;script&gt;alert("name")&lt;/script&gt;');
    // every row of the plan table has the header's cells: no name broke out of its cell
    const cells = (l: string) => l.replace(/\\\|/g, '').split('|').length;
    const head = out.split('\n').find((x) => x.startsWith('| # |'))!;
    const planRows = out.split('\n').filter((x) => /^\| \d+ \| /.test(x));
    expect(planRows.length).toBeGreaterThan(0);
    for (const l of planRows) expect(cells(l)).toBe(cells(head));
    for (const l of out.split('\n').filter((x) => x.startsWith('| '))) expect(l.endsWith(' |')).toBe(true);
    const gap = out.split('\n').find((l) => l.startsWith('- 444444444444'))!;
    expect(gap).toContain('two lines \\| pipe \\`tick\\` \\*star\\*');
    expect(out.split('\n').find((l) => l.startsWith('- 333333333333'))!).not.toContain('n'.repeat(NAME_MAX));
  });
});

describe('terminal summary', () => {
  const text = renderTextSummary(report);
  test('coverage gaps list accounts with their names', () => {
    expect(text).toContain('    444444444444 (legacy)  error: AccessDenied in 3 regions');
    expect(text).toContain('    222222222222 (payments-prod)  error: AuthFailure in ap-east-1');
  });
  test('accounts skipped for their Organizations state are summarised with names, apart from skipped regions', () => {
    expect(text).toContain('  skipped  1 account not ACTIVE in AWS Organizations, not audited: 777777777777 (old-sandbox) SUSPENDED');
    expect(text).not.toMatch(/skipped +\d+ scope/);
    // region skips keep their line, counting only their scopes
    const more: Report = {
      ...report,
      accounts: [...report.accounts, { accountId: '888888888888', name: 'closed-one', ouPath: null, state: 'CLOSED' }],
      coverage: [...report.coverage, { ...report.coverage[0]!, accountId: '888888888888', status: 'skipped', reason: 'CLOSED', region: 'us-east-1' },
        { ...report.coverage[0]!, accountId: '111111111111', status: 'skipped', reason: 'not-enabled', region: 'me-south-1' }],
      summary: { ...report.summary, scopes: { ...report.summary.scopes, skipped: report.summary.scopes.skipped + 2 } },
    };
    const out = renderTextSummary(more);
    expect(out).toContain('  skipped  2 accounts not ACTIVE in AWS Organizations, not audited: 777777777777 (old-sandbox) SUSPENDED, 888888888888 (closed-one) CLOSED');
    expect(out).toContain('  skipped  1 scope: me-south-1 not-enabled (1 account)');
  });
  test('hostile names: no escape sequence, no line break, bounded', () => {
    const out = renderTextSummary(hostile(report));
    expect(out).not.toMatch(/[\u001b\u202e]/);
    expect(out).toContain('    444444444444 (two lines | pipe `tick` *star*)  error');
    expect(out).toContain('777777777777 (red evil) SUSPENDED');
    const line = out.split('\n').find((l) => l.startsWith('    333333333333'))!;
    expect(line).toContain(`(long-${'n'.repeat(NAME_MAX - 6)}…)`);
  });
});

describe('HTML', () => {
  const html = renderHtml(report, templates);
  const dataOf = (h: string) => JSON.parse(/<script type="application\/json" id="ami-audit-data">(.*?)<\/script>/s.exec(h)![1]!);
  test('the page\'s data has each account\'s name and OU path beside its id, and the OU choices', () => {
    const data = dataOf(html);
    (data.accounts as string[]).forEach((id, i) => {
      expect(data.accountNames[i]).toBe(byId.get(id)?.name ?? null);
      expect(data.accountOuPaths[i]).toBe(byId.get(id)?.ouPath ?? null);
      // the OU filter's indexes of the account's OU and those above it
      expect(data.accountOus[i]?.map((n: number) => data.ous[n])).toEqual(byId.get(id)?.ouPath?.split('/').map((_, k, all) => all.slice(0, k + 1).join('/')));
    });
    expect(data.ous).toEqual(accountIndex(report).ous().paths);
    expect(data.noOu).toBe(true);
  });
  test('an OU filter beside the account filter, only when some account has an OU path', () => {
    expect(html).toMatch(/<label>Account <select id="f-account">.*?<\/label>\s*<label>OU <select id="f-ou">/s);
    const plain = renderHtml(generatedReport(), templates);
    expect(plain).not.toContain('id="f-ou"');
    expect(dataOf(plain).ous).toEqual([]);
  });
  test('the coverage matrix names each account, keeps its OU path for the filter, and shows the suspended one as skipped (SUSPENDED)', () => {
    const row = (id: string) => new RegExp(`<tr data-account="${id}"[^>]*>.*?</tr>`, 's').exec(html)?.[0] ?? '';
    // the indexes of its OUs among the filter's choices: Root, Root/Workloads, Root/Workloads/Prod
    expect(row('222222222222')).toContain('data-ou="0 3 5"');
    expect(row('222222222222')).toContain('title="OU: Root/Workloads/Prod"');
    expect(row('222222222222')).toContain('<span class="acct-name">payments-prod</span>');
    expect(row('444444444444')).not.toContain('data-ou');
    expect(row(SUSPENDED_ACCOUNT)).toContain('skipped (SUSPENDED)');
    expect(row(SUSPENDED_ACCOUNT)).toContain('title="777777777777 (old-sandbox) / us-east-1: skipped (SUSPENDED)"');
    expect(html).toContain('id="coverage-filter"');
  });
  test('gaps, failures, the plan\'s accounts and the account chart carry names', () => {
    const view = htmlView(report);
    const suspended = view.gapGroups.find((g) => g.accountId === SUSPENDED_ACCOUNT);
    expect(suspended?.what).toBe('skipped (SUSPENDED)');
    expect(suspended?.name).toBe('old-sandbox');
    expect(html).toMatch(/<code class="acct">444444444444<\/code> <span class="acct-name">legacy<\/span>/);
    expect(html).toMatch(/<li data-account="444444444444"><code>444444444444<\/code> <span class="acct-name">legacy<\/span> \/ <code>ap-southeast-2<\/code>/);
    expect(html).toContain('title="222222222222 (payments-prod), 333333333333 (data-dev)"');
    expect(html).toMatch(/<title>222222222222 \(payments-prod\): \d+<\/title>/);
    // the AMI owner, when it is an account of the run
    expect(html).toMatch(/<span class="acct">222222222222<\/span> <span class="acct-name">payments-prod<\/span>/);
  });
  test('hostile names and OU paths are escaped, never markup', () => {
    const out = renderHtml(hostile(report), templates);
    expect(out.match(/<script/g)).toHaveLength(2);
    expect(out).not.toContain('<b>OU</b>');
    expect(out).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;');
    expect(out).not.toMatch(/[\u001b\u202e]/);
    const data = dataOf(out);
    // in the page's data as text (the script writes it with textContent), its JSON escaped against </script>
    expect(data.accountNames).toContain("=cmd|' /C calc'!A0");
    expect(out).not.toContain('</b>');
    expect(data.ous).toContain('Root/<b>OU</b> =Root/Workloads/Prod');
    const long = (data.accountNames as (string | null)[]).find((n) => n?.startsWith('long-'))!;
    expect([...long]).toHaveLength(NAME_MAX);
  });
});
