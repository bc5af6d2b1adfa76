/**
 * One hostile string in every field that comes from AWS (account name, OU, AMI name, tags, launch
 * template, Auto Scaling group, SSM parameter, recipe, error message), rendered in every format:
 * the human-readable outputs (HTML text and attributes, CSV, Markdown, terminal) carry none of its
 * control, bidirectional or line-separator characters; JSON, OCSF and ASFF keep it as it was.
 */
import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { buildReport } from '../../src/report/build.js';
import { settingsFrom } from '../../src/config/config.js';
import { demoConfig } from '../../src/cli/demo-config.js';
import { contentText, FORMATS, renderFormat } from '../../src/render/index.js';
import { renderTextSummary } from '../../src/render/text.js';
import { cleanText } from '../../src/render/sanitize.js';
import { loadTemplates } from '../../src/io/files.js';
import { FIXED_NOW, inventoryFromFleet } from '../helpers/fixture.js';
import type { Inventory, Report } from '../../src/model/types.js';

/** ESC, an OSC title sequence ended by BEL, a right-to-left override, a line separator, an isolate, a C1 control, NUL. */
const BAD = 'asg\u001b]0;t\u0007\u202e=HYPERLINK("x")\u2028y\u2066z\u0085w\u0000v\u2029u\u202a\u2069';
/** What no human-readable output may hold. */
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;

function hostileInventory(): Inventory {
  const inv = inventoryFromFleet();
  inv.accounts = inv.accounts!.map((a) => ({ ...a, name: `${a.name}${BAD}`, ouPath: a.ouPath === null ? null : `${a.ouPath}/${BAD}` }));
  for (const i of inv.instances) {
    i.Tags = [...(i.Tags ?? []).filter((t) => t.Key !== 'team' && t.Key !== 'Name'), { Key: 'team', Value: `team${BAD}` }, { Key: 'Name', Value: `name${BAD}` }];
    if (i.ImageMetadata) i.ImageMetadata = { ...i.ImageMetadata, Name: `ami${BAD}`, ImageOwnerAlias: i.ImageMetadata.ImageOwnerAlias ? `${i.ImageMetadata.ImageOwnerAlias}${BAD}` : i.ImageMetadata.ImageOwnerAlias };
  }
  inv.references = inv.references!.map((r) => ({ ...r, name: `${r.name}${BAD}`, arn: `${r.arn}${BAD}`, usedBy: r.usedBy.map((g) => `${g}${BAD}`) }));
  inv.coverage = inv.coverage.map((c) => (c.errorMessage ? { ...c, errorMessage: `${c.errorMessage}${BAD}` } : c));
  return inv;
}

function hostileReport(): Report {
  const asOf = DateTime.fromISO(FIXED_NOW, { zone: 'utc' });
  return buildReport({ inventory: hostileInventory(), settings: settingsFrom(demoConfig(asOf), { tagColumns: ['team'] }), asOf: asOf.toMillis(), tool: { name: 'ami-audit', version: '0.0.0-test' }, baseline: null });
}

describe('cleanText, the one cleaning of AWS strings for human-readable output', () => {
  test('removes control characters and escape sequences, neutralises bidi controls and line separators, keeps the text', () => {
    const out = cleanText(BAD);
    expect(out).not.toMatch(FORBIDDEN);
    expect(out).toContain('=HYPERLINK("x")');
    expect(out.startsWith('asg')).toBe(true);
    expect(out).not.toContain(']0;t');
    expect(cleanText('caf\u00e9 \u{1F680} ok')).toBe('caf\u00e9 \u{1F680} ok');
    // joiners are part of scripts and emoji; a zero-width space and the bidi marks are not kept
    expect(cleanText('\u{1F469}\u200d\u{1F4BB} \u0645\u200c\u06cc')).toBe('\u{1F469}\u200d\u{1F4BB} \u0645\u200c\u06cc');
    expect(cleanText('a\u200bb\u200ec\u200fd')).toBe('ab c d');
  });
});

describe('a hostile name in every AWS-sourced field, in every format', () => {
  const report = hostileReport();
  const templates = loadTemplates();
  const files = FORMATS.flatMap((format) => renderFormat(format, report, templates).map((f) => ({ format, suffix: f.suffix, text: contentText(f) })));

  test('the fixture carries the string in every field', () => {
    const json = JSON.stringify(report);
    for (const field of ['"name":"payments-prod', '"ouPath":"Root/Workloads/Prod/', '"imageName":"ami', 'team', 'web-prod', '/golden/ami/web', 'sap-bridge-base']) expect(json).toContain(field);
    expect(report.images.some((i) => i.references?.some((r) => r.usedBy.some((g) => g.includes(BAD))))).toBe(true);
    expect(json.split(JSON.stringify(BAD).slice(1, -1)).length).toBeGreaterThan(20);
  });
  test.each(['html', 'csv', 'md'] as const)('%s: none of its control, bidi or separator characters', (format) => {
    const out = files.filter((f) => f.format === format);
    expect(out.length).toBeGreaterThan(0);
    for (const f of out) {
      const m = FORBIDDEN.exec(f.text);
      expect([f.suffix, m ? `U+${m[0].codePointAt(0)!.toString(16)} at ${m.index}: ${JSON.stringify(f.text.slice(Math.max(0, m.index - 60), m.index + 20))}` : null]).toEqual([f.suffix, null]);
      // what remains of it is still there to read
      expect(f.text).toContain('HYPERLINK');
    }
  });
  test('the terminal summary: none of them either', () => {
    const text = renderTextSummary(report, [`report${BAD}.html`]);
    expect(text).not.toMatch(FORBIDDEN);
  });
  test.each(['json', 'ocsf', 'asff'] as const)('%s keeps the data as it was', (format) => {
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
    };
    for (const f of files.filter((x) => x.format === format)) walk(JSON.parse(f.text));
    expect(strings).toContain(`ami${BAD}`);
  });
});
