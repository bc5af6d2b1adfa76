/** The trust a first run starts with (issue 25): the well-known publishers, which trustedAccounts extends or replaces. */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfig, settingsFrom } from '../../src/config/config.js';
import { PUBLISHER_EVIDENCE, TRUSTED_PUBLISHERS, TRUSTED_PUBLISHER_IDS } from '../../src/rules/publishers.js';
import { ROOT } from '../helpers/cli.js';

describe('trusted publishers', () => {
  test('by default the well-known publishers\' owner ids are trusted', () => {
    const trusted = settingsFrom(checkConfig('c.json', {})).trustedAccounts;
    for (const id of ['099720109477', '309956199498', '013907871322', '136693071363', '137112412989']) expect(trusted).toContain(id);
    expect(trusted).toEqual([...TRUSTED_PUBLISHER_IDS]);
  });
  test('trustedAccounts extends them; "trustedPublishers": "none" leaves trustedAccounts alone', () => {
    expect(settingsFrom(checkConfig('c.json', { trustedAccounts: ['555555555555'] })).trustedAccounts).toEqual([...TRUSTED_PUBLISHER_IDS, '555555555555']);
    expect(settingsFrom(checkConfig('c.json', { trustedAccounts: ['555555555555'], trustedPublishers: 'none' })).trustedAccounts).toEqual(['555555555555']);
    expect(() => checkConfig('c.json', { trustedPublishers: 'all' })).toThrow(/trustedPublishers: expected one of "default", "none"/);
  });
  test('every publisher and owner id is documented: the kind of source, the sources with their addresses, the date checked', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'trusted-publishers.md'), 'utf8');
    const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const p of TRUSTED_PUBLISHERS) {
      expect(PUBLISHER_EVIDENCE).toContain(p.evidence);
      for (const id of p.ownerIds) {
        expect(doc).toMatch(new RegExp(`\\| ${esc(p.name)} \\| [^|]+ \\| \`${id}\` \\| ${esc(p.evidence)} \\| [^|]*https?://[^|]+ \\| 2026-12-05 \\|`));
      }
    }
  });
});
