/**
 * --successors, the pure parts: the public family and parameter of each AMI name (every family,
 * both architectures), the name family pattern of the same-name-family method, the architecture
 * inferred from instance types, what every renderer says, and the rollout script: every value
 * single-quoted, hostile names and ids unable to break out (bash -n, and a fake `aws` on PATH that
 * prints its argv).
 */
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { CANONICAL_OWNER, inferArchitecture, isGraviton, namePattern, publicFamily } from '../../src/collect/successors.js';
import { mergeSuccessors, successorWarning } from '../../src/collect/successor-records.js';
import { renderImagesCsv } from '../../src/render/csv.js';
import { renderHtml } from '../../src/render/html.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderTextSummary } from '../../src/render/text.js';
import { renderRolloutScript, rolloutPlan, shellQuote, successorText } from '../../src/render/successor.js';
import { loadTemplates } from '../../src/io/files.js';
import { buildReport, inventoryOf } from '../../src/report/build.js';
import { settingsFrom } from '../../src/config/config.js';
import { demoConfig } from '../../src/cli/demo-config.js';
import { reportValidator } from '../../src/schema/validate.js';
import { FIXED_NOW, FIXTURE_REFERENCES, HOSTILE, inventoryFromFleet } from '../helpers/fixture.js';
import type { ImageReference, Inventory, Report, Successor, SuccessorRecord } from '../../src/model/types.js';

const AMAZON = { OwnerId: '137112412989', ImageOwnerAlias: 'amazon' };
const path = (name: string, arch: string | null, meta: object = AMAZON): string | undefined => {
  const m = publicFamily({ ...meta, Name: name }, arch);
  return m && 'path' in m ? m.path : undefined;
};

describe('the public family of an AMI, and the parameter of its latest image', () => {
  test('Amazon Linux 2023: edition, kernel and architecture from the name', () => {
    expect(path('al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64', 'x86_64')).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64');
    expect(path('al2023-ami-2023.6.20241212.0-kernel-6.1-arm64', 'arm64')).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64');
    expect(path('al2023-ami-minimal-2023.7.20250101.0-kernel-6.12-arm64', null)).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-minimal-kernel-6.12-arm64');
  });
  test('Amazon Linux 2: kernel, edition, architecture and volume type', () => {
    expect(path('amzn2-ami-hvm-2.0.20231101.0-x86_64-gp2', 'x86_64')).toBe('/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2');
    expect(path('amzn2-ami-hvm-2.0.20231101.0-arm64-gp2', 'arm64')).toBe('/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-arm64-gp2');
    expect(path('amzn2-ami-kernel-5.10-hvm-2.0.20240101.0-x86_64-gp2', 'x86_64')).toBe('/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2');
    expect(path('amzn2-ami-minimal-hvm-2.0.20240101.0-arm64-ebs', 'arm64')).toBe('/aws/service/ami-amazon-linux-latest/amzn2-ami-minimal-hvm-arm64-ebs');
  });
  test('Windows Server and the EKS-optimised Windows images (x86_64 only)', () => {
    expect(path('Windows_Server-2022-English-Full-Base-2026.10.15', 'x86_64', { OwnerId: '801119661308', ImageOwnerAlias: 'amazon' })).toBe('/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base');
    expect(path('Windows_Server-2019-Japanese-Full-SQL_2019_Standard-2026.10.15', null)).toBe('/aws/service/ami-windows-latest/Windows_Server-2019-Japanese-Full-SQL_2019_Standard');
    expect(path('Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.01.15', 'x86_64')).toBe('/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id');
    expect(publicFamily({ ...AMAZON, Name: 'Windows_Server-2022-English-Full-Base-2026.10.15' }, 'arm64')).toMatchObject({ ambiguous: expect.stringContaining('arm64') });
  });
  test('Ubuntu from Canonical only: release, architecture, product and volume type', () => {
    const canonical = { OwnerId: CANONICAL_OWNER };
    expect(path('ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001', 'x86_64', canonical)).toBe('/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id');
    expect(path('ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-20250101', 'arm64', canonical)).toBe('/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id');
    expect(path('ubuntu-minimal/images/hvm-ssd/ubuntu-jammy-22.04-amd64-minimal-20250101', null, canonical)).toBe('/aws/service/canonical/ubuntu/server-minimal/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id');
    // the same name from anyone else is not Ubuntu: a name alone never picks a family (whoAMI)
    expect(publicFamily({ OwnerId: '987654321098', Name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001' }, 'x86_64')).toBeNull();
    expect(publicFamily({ OwnerId: '987654321098', Name: 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64' }, 'x86_64')).toBeNull();
  });
  test('Bottlerocket: variant (Kubernetes version, flavour) and architecture', () => {
    expect(path('bottlerocket-aws-k8s-1.31-x86_64-v1.26.0-943d9a41', 'x86_64')).toBe('/aws/service/bottlerocket/aws-k8s-1.31/x86_64/latest/image_id');
    expect(path('bottlerocket-aws-k8s-1.30-nvidia-arm64-v1.26.0-943d9a41', 'arm64')).toBe('/aws/service/bottlerocket/aws-k8s-1.30-nvidia/arm64/latest/image_id');
    expect(path('bottlerocket-aws-ecs-2-arm64-v1.26.0-943d9a41', 'arm64')).toBe('/aws/service/bottlerocket/aws-ecs-2/arm64/latest/image_id');
  });
  test('EKS-optimised Amazon Linux 2023 and 2: Kubernetes version, architecture and type', () => {
    const eks = { OwnerId: '602401143452', ImageOwnerAlias: 'amazon' };
    expect(path('amazon-eks-node-al2023-x86_64-standard-1.31-v20250101', 'x86_64', eks)).toBe('/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/image_id');
    expect(path('amazon-eks-node-al2023-arm64-nvidia-1.32-v20250101', 'arm64', eks)).toBe('/aws/service/eks/optimized-ami/1.32/amazon-linux-2023/arm64/nvidia/recommended/image_id');
    expect(path('amazon-eks-node-1.29-v20240101', 'x86_64', eks)).toBe('/aws/service/eks/optimized-ami/1.29/amazon-linux-2/recommended/image_id');
    expect(path('amazon-eks-arm64-node-1.29-v20240101', 'arm64', eks)).toBe('/aws/service/eks/optimized-ami/1.29/amazon-linux-2-arm64/recommended/image_id');
    expect(path('amazon-eks-gpu-node-1.29-v20240101', null, eks)).toBe('/aws/service/eks/optimized-ami/1.29/amazon-linux-2-gpu/recommended/image_id');
  });
  test('a name that contradicts the image, or says too little, is an ambiguous family; other names are none', () => {
    expect(publicFamily({ ...AMAZON, Name: 'amzn2-ami-hvm-2.0.20231101.0-x86_64-gp2' }, 'arm64')).toMatchObject({ family: 'Amazon Linux 2', ambiguous: expect.any(String) });
    expect(publicFamily({ ...AMAZON, Name: 'al2023-ami-ecs-hvm-2023.0.20250101-kernel-6.1-x86_64' }, 'x86_64')).toMatchObject({ family: 'Amazon Linux 2023', ambiguous: expect.any(String) });
    expect(publicFamily({ ...AMAZON, Name: 'suse-sles-15-sp5-v20250101-hvm-ssd-x86_64' }, 'x86_64')).toBeNull();
  });
});

describe('the name family of the same-name-family method', () => {
  test.each([
    ['payments-api-2025-03-01', 'payments-api-*'],
    ['golden-base-2026-09', 'golden-base-*'],
    ['vendor-appliance-7.2', 'vendor-appliance-*'],
    ['amzn2-ami-hvm-2.0.20231101.0-x86_64-gp2', 'amzn2-ami-hvm-*-x86_64-gp2'],
    ['suse-sles-15-sp5-v20250101-hvm-ssd-x86_64', 'suse-sles-15-sp5-*-hvm-ssd-x86_64'],
    ['Windows_Server-2025-English-Full-Base-2026.10.15', 'Windows_Server-2025-English-Full-Base-*'],
    ['web-build-1234567-3f9a2c1', 'web-build-*'],
  ])('%s -> %s', (name, pattern) => expect(namePattern(name)).toBe(pattern));
  test('a name without a version, date or build token has no family', () => {
    expect(namePattern('my-golden-image')).toBeNull();
  });
});

describe('the architecture of a deregistered AMI, from the instance types', () => {
  test('Graviton families are arm64; GPU and other families are not', () => {
    for (const t of ['c7g.xlarge', 'm6gd.large', 't4g.micro', 'g5g.2xlarge', 'im4gn.large', 'r8g.medium', 'a1.large', 'c7gn.large']) expect([t, isGraviton(t)]).toEqual([t, true]);
    for (const t of ['g4dn.xlarge', 'm7i.large', 't3.micro', 'c5.large', 'p5.48xlarge', 'mac2.metal']) expect([t, isGraviton(t)]).toEqual([t, false]);
  });
  test('agreeing instance types give the architecture; disagreeing ones none', () => {
    expect(inferArchitecture(['c7g.xlarge', 't4g.small'])).toBe('arm64');
    expect(inferArchitecture(['m7i.large'])).toBe('x86_64');
    expect(inferArchitecture(['m7i.large', 'c7g.large'])).toBeNull();
    expect(inferArchitecture([])).toBeNull();
  });
});

const asOf = DateTime.fromISO(FIXED_NOW, { zone: 'utc' });
const build = (inventory: Inventory): Report => buildReport({ inventory, settings: settingsFrom(demoConfig(asOf)), asOf: asOf.toMillis(), tool: { name: 'ami-audit', version: '0.0.0-test' } });
const found = (over: Partial<Successor> = {}): Successor => ({
  status: 'found', imageId: 'ami-0f282000000000000', name: 'amzn2-ami-hvm-2.0.20261106.0-x86_64-gp2', creationDate: '2026-11-14T00:00:00Z', deprecationTime: '2028-11-14T00:00:00Z',
  method: 'ssm-parameter', matchedOn: '/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2', architecture: 'x86_64', inferred: false, reason: null, ...over,
});
const DEPRECATED = 'ami-0d1e2f3a4b5c60010';
function withSuccessors(records: SuccessorRecord[], refs: ImageReference[] = FIXTURE_REFERENCES): Report {
  const inv = inventoryFromFleet();
  inv.references = refs;
  inv.successors = records;
  return build(inv);
}

describe('the report and its renderers', () => {
  const records: SuccessorRecord[] = [
    { region: 'us-east-1', flaggedImageId: DEPRECATED, successor: found() },
    { region: 'eu-west-1', flaggedImageId: 'ami-0d1e2f3a4b5c60017', successor: { ...found(), status: 'not-found', imageId: null, name: null, creationDate: null, deprecationTime: null, method: 'same-name-family', matchedOn: 'owner 013907871322, name suse-*', reason: 'owner 013907871322 publishes no other available image named suse-*.' } },
    { region: 'us-east-1', flaggedImageId: 'ami-0d1e2f3a4b5c60012', successor: { ...found(), status: 'not-looked-up', imageId: null, name: null, creationDate: null, deprecationTime: null, method: null, matchedOn: null, reason: 'successor not looked up: AccessDenied (ssm:GetParameters)' } },
  ];
  const report = withSuccessors(records);
  test('images[] entries carry successor per region; the report is valid; a saved report keeps them', () => {
    const e = report.images.find((i) => i.imageId === DEPRECATED)!;
    expect(e.successor).toEqual({ 'us-east-1': found() });
    const validate = reportValidator();
    expect(validate(JSON.parse(JSON.stringify(report)))).toBe(true);
    expect(validate({ ...JSON.parse(JSON.stringify(report)), images: [{ ...JSON.parse(JSON.stringify(report.images[0])), successor: { 'us-east-1': { status: 'maybe' } } }] })).toBe(false);
    expect(inventoryOf(report).successors).toEqual([...records].sort((a, b) => a.flaggedImageId.localeCompare(b.flaggedImageId)));
    // without --successors: no field
    expect(build(inventoryFromFleet()).images.every((i) => i.successor === undefined)).toBe(true);
  });
  test('"Replace with ami-… (name, published N days ago)", as of the report, in every format', () => {
    const text = successorText(found(), Date.parse(FIXED_NOW));
    expect(text).toMatch(/^Replace with ami-0f282000000000000 \(amzn2-ami-hvm-2\.0\.20261106\.0-x86_64-gp2, published 12 days ago\): ssm-parameter on \/aws\/service/);
    const html = renderHtml(report, loadTemplates());
    expect(html).toContain('Replace with ami-0f282000000000000 (amzn2-ami-hvm-2.0.20261106.0-x86_64-gp2, published 12 days ago)');
    expect(html).toContain('Successor not looked up: AccessDenied (ssm:GetParameters)');
    expect(html).toContain('No successor found: owner 013907871322');
    const md = renderMarkdown(report);
    expect(md).toContain('### Replace with');
    expect(md).toMatch(/- \d+: ami-0d1e2f3a4b5c60010 in us-east-1: Replace with ami-0f282000000000000/);
    const rows = parse(renderImagesCsv(report), { bom: true, columns: true }) as Record<string, string>[];
    expect(rows.find((r) => r.imageId === DEPRECATED)!.successorImageIds).toBe('us-east-1=ami-0f282000000000000');
    expect(rows.find((r) => r.imageId === 'ami-0d1e2f3a4b5c60012')!.successor).toContain('AccessDenied (ssm:GetParameters)');
    const summary = renderTextSummary(report, []);
    expect(summary).toMatch(/us-east-1: Replace with ami-0f282000000000000 \(amzn2-ami-hvm-2\.0\.20261106\.0-x86_64-gp2, published 12 days ago\)/);
  });
  test('the rollout commands: a new version from the version in use, made the default, and an instance refresh per group', () => {
    const plan = rolloutPlan(report);
    expect(plan).toHaveLength(1);
    expect(plan[0]).toMatchObject({ templateId: 'lt-0de0a1b2c3d4e5f01', sourceVersion: '2', groups: ['web-prod'], toImageId: 'ami-0f282000000000000', skipped: null });
    const html = renderHtml(report, loadTemplates());
    expect(html).toContain('id="rollout"');
    expect(html).toContain('&#x27;create-launch-template-version&#x27;');
    expect(renderMarkdown(report)).toMatch(/```sh\n# launch template web-prod/);
    // a region without a successor has no commands
    expect(rolloutPlan(withSuccessors(records.slice(1)))).toEqual([]);
    expect(renderRolloutScript(withSuccessors(records.slice(1)))).toBeNull();
  });
  test('a template no group launches is rolled out from its default version', () => {
    const refs = [{ ...FIXTURE_REFERENCES[0]!, version: null, usedBy: [], defaultVersion: '1' }];
    const plan = rolloutPlan(withSuccessors(records, refs));
    expect(plan[0]).toMatchObject({ sourceVersion: '1', groups: [] });
    expect(plan[0]!.steps.map((s) => s.args[1])).toEqual(['create-launch-template-version', 'modify-launch-template']);
  });
  test('the warning counts the failed lookups by cause; shares merge to one record per AMI and region, a found one first', () => {
    expect(successorWarning(records)).toMatch(/^Successors not looked up for 1 flagged AMI x region \(AccessDenied \(ssm:GetParameters\): 1\)/);
    expect(successorWarning(records.slice(0, 2))).toBeNull();
    const merged = mergeSuccessors([[records[2]!], [{ ...records[2]!, successor: found() }]]);
    expect(merged).toEqual([{ ...records[2]!, successor: found() }]);
  });
});

test('successor names from AWS are escaped in HTML and Markdown, and neutralised in CSV', () => {
  const evil = '<script>alert(1)</script> =HYPERLINK("x") | `x`';
  const r = withSuccessors([{ region: 'us-east-1', flaggedImageId: DEPRECATED, successor: found({ name: evil }) }]);
  const html = renderHtml(r, loadTemplates());
  expect(html).not.toContain('<script>alert(1)</script>');
  expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  const md = renderMarkdown(r);
  expect(md.split('### Replace with')[1]!.split('\n').find((l) => l.includes('ami-0f282000000000000'))).not.toMatch(/<script>|(?<!\\)\|/);
  const rows = parse(renderImagesCsv(withSuccessors([{ region: 'us-east-1', flaggedImageId: DEPRECATED, successor: { ...found(), status: 'not-found', imageId: null, reason: '=cmd|x' } }])), { bom: true, columns: true }) as Record<string, string>[];
  expect(rows.find((x) => x.imageId === DEPRECATED)!.successor!.startsWith('=')).toBe(false);
});

describe('the rollout script is quoted safely', () => {
  const hostileGroups = [...HOSTILE, "it's; rm -rf / #", '$(touch /tmp/pwned-succ)', '`id`', '"; echo x; "', 'a\\b', '--region', '*', '~root', '$HOME', 'x\ny'];
  const refs: ImageReference[] = [{ ...FIXTURE_REFERENCES[0]!, name: "web'; touch /tmp/pwned-succ-name #\n$(id)", usedBy: hostileGroups }];
  const report = withSuccessors([{ region: 'us-east-1', flaggedImageId: DEPRECATED, successor: found({ name: "evil'\n$(reboot) `id`" }) }], refs);
  const script = renderRolloutScript(report)!;

  test('every value is single-quoted; a group with a line break or control character gets no command, only a comment', () => {
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    // a control character is not written into the file: that group is named (made safe) in a comment, the others get their commands
    expect(script).toContain('its name holds control characters, so no command is written for it');
    expect(script).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(script).toContain("'--auto-scaling-group-name' 'it'\\''s; rm -rf / #'");
    // every line is a comment, blank, set -euo pipefail, or an aws command
    for (const line of script.split('\n')) expect(line === '' || line.startsWith('#') || line === 'set -euo pipefail' || /^(v=\$\()?aws '/.test(line)).toBe(true);
  });

  test('bidirectional controls and isolates (which reorder what a reviewer reads) never reach the script or the Markdown block', () => {
    const bidi = ['web\u202eevil', 'grp\u2066x\u2069', 'a\u200fb'];
    const r = withSuccessors([{ region: 'us-east-1', flaggedImageId: DEPRECATED, successor: found({ name: 'al2023\u202etxt\u2067' }) }], [{ ...refs[0]!, name: 'lt\u202ename', usedBy: bidi }]);
    const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
    const text = renderRolloutScript(r)!;
    expect(text).not.toMatch(BIDI);
    // a group whose name holds them gets no command, as for any control character
    expect(text.match(/its name holds control characters/g)).toHaveLength(3);
    expect(renderMarkdown(r)).not.toMatch(BIDI);
  });

  test('bash -n accepts it, and a fake aws receives each value as one argument, unchanged', () => {
    const safe = hostileGroups.filter((g) => !/[\u0000-\u001f]/.test(g));
    const r2 = withSuccessors([{ region: 'us-east-1', flaggedImageId: DEPRECATED, successor: found({ name: "evil'\n$(reboot) `id`" }) }], [{ ...refs[0]!, usedBy: safe }]);
    const text = renderRolloutScript(r2)!;
    const dir = mkdtempSync(join(tmpdir(), 'ami-audit-rollout-'));
    const file = join(dir, 'rollout.sh');
    writeFileSync(file, text, { mode: 0o600 });
    execFileSync('bash', ['-n', file]);
    // the fake aws prints its arguments, NUL-separated, one call per line, to a log
    const bin = join(dir, 'bin');
    execFileSync('mkdir', [bin]);
    writeFileSync(join(bin, 'aws'), `#!/usr/bin/env bash\nprintf '%s\\0' "$@" >> ${JSON.stringify(join(dir, 'argv.log'))}\nprintf '\\n' >> ${JSON.stringify(join(dir, 'argv.log'))}\necho 7\n`);
    chmodSync(join(bin, 'aws'), 0o755);
    execFileSync('bash', [file], { env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir } });
    const calls = execFileSync('cat', [join(dir, 'argv.log')]).toString('utf8').split('\n').filter(Boolean).map((l) => l.split('\0').slice(0, -1));
    expect(calls[0]!.slice(0, 2)).toEqual(['ec2', 'create-launch-template-version']);
    expect(calls[0]).toContain('{"ImageId":"ami-0f282000000000000"}');
    expect(calls[1]).toEqual(['ec2', 'modify-launch-template', '--region', 'us-east-1', '--launch-template-id', 'lt-0de0a1b2c3d4e5f01', '--default-version', '7']);
    const refreshed = calls.slice(2).map((c) => c[c.length - 1]);
    expect(refreshed.sort()).toEqual([...safe].sort());
    for (const c of calls.slice(2)) expect(c.slice(0, 5)).toEqual(['autoscaling', 'start-instance-refresh', '--region', 'us-east-1', '--auto-scaling-group-name']);
    expect(() => execFileSync('test', ['-e', '/tmp/pwned-succ'])).toThrow();
    expect(() => execFileSync('test', ['-e', '/tmp/pwned-succ-name'])).toThrow();
  });
});
