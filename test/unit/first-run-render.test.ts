/**
 * What a first run shows (issue 25): the plan's CSV names accounts, the terminal and the Markdown
 * count AMIs alike, numbers read with thousands separators, and every rule gets its line.
 */
import { describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { renderImagesCsv } from '../../src/render/csv.js';
import type { Report } from '../../src/model/types.js';
import { fixtureReport, FIXTURE_ACCOUNTS } from '../helpers/fixture.js';

const report = fixtureReport();

describe('the -images.csv', () => {
  test('account cells hold names with ids, capped with "+N more"', () => {
    const many = Array.from({ length: 13 }, (_, i) => String(100000000000 + i));
    const first = report.images![0]!;
    const wide: Report = {
      ...report,
      accounts: [...(report.accounts ?? []), ...many.map((accountId, i) => ({ accountId, name: `team-${i}`, ouPath: null, state: 'ACTIVE' }))],
      images: [{ ...first, accounts: many }, ...report.images!.slice(1)],
    };
    const rows = parse(renderImagesCsv(wide), { bom: true, columns: true }) as Record<string, string>[];
    expect(rows[0]!.accounts).toBe(`${many.slice(0, 10).map((id, i) => `${id} (team-${i})`).join('; ')}; +3 more`);
    // the fixture's own plan: every account named
    const own = parse(renderImagesCsv(report), { bom: true, columns: true }) as Record<string, string>[];
    const named = new Map(FIXTURE_ACCOUNTS.map((a) => [a.accountId, a.name]));
    report.images!.forEach((e, i) => expect(own[i]!.accounts).toBe(e.accounts.map((id) => (named.get(id) ? `${id} (${named.get(id)})` : id)).join('; ')));
  });
});
