/**
 * What the plan says about successors (`--successors`), for every renderer: one line per AMI and
 * region ("Replace with ami-… (name, published 12 days ago)", or why there is none), and the AWS
 * CLI commands that roll a successor out through the launch templates `--references` found
 * (`ami-audit-<stamp>-rollout.sh`). Pure: the as-of time comes from the report.
 */
import type { ImagePlanEntry, ImageReference, Report, Successor } from '../model/types.js';
import { parseInstantMs } from '../model/time.js';
import { cmp } from '../model/ids.js';

const DAY_MS = 86_400_000;
const AMI_RE = /^ami-[0-9a-f]{8,17}$/;
const LAUNCH_TEMPLATE_RE = /^lt-[0-9a-f]{8,17}$/;
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ACCOUNT_RE = /^\d{12}$/;
/**
 * Characters a shell comment (or a single-quoted word) must not carry raw: line breaks end a comment,
 * and control characters, bidirectional controls and isolates reorder or hide what a reviewer reads.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

/** "published 12 days ago", "published today", "published in 3 days" (a clock ahead), or '' when the date is unreadable. */
function published(creationDate: string | null, asOfMs: number): string {
  const ms = creationDate ? parseInstantMs(creationDate) : null;
  if (ms === null || ms === undefined) return '';
  const days = Math.floor((asOfMs - ms) / DAY_MS);
  if (days === 0) return 'published today';
  if (days < 0) return `published in ${-days} day${days === -1 ? '' : 's'}`;
  return `published ${days} day${days === 1 ? '' : 's'} ago`;
}

/** One successor in words (plain text: each renderer escapes it for its output). */
export function successorText(s: Successor, asOfMs: number): string {
  if (s.status === 'found' && s.imageId) {
    const facts = [s.name, published(s.creationDate, asOfMs)].filter(Boolean).join(', ');
    // matchedOn names the architecture; say only how it was known when it was inferred
    const arch = s.architecture && s.inferred ? ` (${s.architecture} inferred from the instance types)` : '';
    return `Replace with ${s.imageId}${facts ? ` (${facts})` : ''}: ${s.method} on ${s.matchedOn ?? 'unknown'}${arch}${s.reason ? `. ${s.reason}` : ''}`;
  }
  if (s.status === 'not-looked-up') return s.reason ? s.reason.replace(/^successor/, 'Successor') : 'Successor not looked up';
  return `No successor found: ${s.reason ?? 'no reason recorded'}`;
}

/** An AMI's successors as lines, regions with the same text on one line: `{ regions: 'us-east-1, eu-west-1', text }`. */
export function successorLines(img: ImagePlanEntry, asOfMs: number): { regions: string; text: string; found: boolean }[] {
  const byText = new Map<string, { regions: string[]; found: boolean }>();
  for (const region of Object.keys(img.successor ?? {}).sort(cmp)) {
    const s = img.successor![region]!;
    const text = successorText(s, asOfMs);
    const e = byText.get(text) ?? { regions: [], found: s.status === 'found' };
    e.regions.push(region);
    byText.set(text, e);
  }
  return [...byText].map(([text, e]) => ({ regions: e.regions.join(', '), text, found: e.found }));
}

/** The report's as-of time in ms (what "published N days ago" counts from). */
export function asOfMsOf(report: Report): number {
  return parseInstantMs(report.run.asOf) ?? 0;
}

/** A word for the shell: single-quoted, a quote inside written as '\'' (nothing is special inside single quotes). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Text for a shell comment: one line, no control characters. */
function commentText(value: string): string {
  return value.replace(new RegExp(CONTROL.source, 'g'), '?');
}

export interface RolloutStep {
  /** What the command changes, for the comment above it. */
  comment: string;
  /** The argv after `aws`, each element quoted when written. */
  args: string[];
  /** The command's output is the new version number, kept in $v for the next command. */
  captureVersion?: boolean;
  /** The argument that takes $v (the new version). */
  usesVersion?: boolean;
}

export interface RolloutTemplate {
  accountId: string;
  region: string;
  templateId: string;
  templateName: string | null;
  fromImageId: string;
  toImageId: string;
  toName: string | null;
  sourceVersion: string;
  groups: string[];
  steps: RolloutStep[];
  /** Why no commands are given for it (a value that cannot be passed safely, no version known). */
  skipped: string | null;
}

/** The launch template id of a reference's ARN (…:launch-template/lt-…). */
function templateIdOf(ref: ImageReference): string | null {
  const m = /:launch-template\/(lt-[0-9a-f]+)$/.exec(ref.arn);
  return m ? m[1]! : null;
}

/**
 * For each launch template `--references` found for a flagged AMI whose successor was found in the
 * template's region: a new version from the version in use (the highest version the groups
 * launch that has the AMI, else the template's default version) with the successor's ImageId,
 * made the default, then an instance refresh of each group that launches it. Sorted by account,
 * region, template, AMI.
 */
export function rolloutPlan(report: Report): RolloutTemplate[] {
  const out: RolloutTemplate[] = [];
  for (const img of report.images) {
    if (!img.imageId || !img.successor) continue;
    for (const ref of img.references ?? []) {
      if (ref.resourceType !== 'ec2:LaunchTemplate') continue;
      const s = img.successor[ref.region];
      if (!s || s.status !== 'found' || !s.imageId) continue;
      const templateId = templateIdOf(ref) ?? '';
      const versions = (ref.version ?? '').split(',').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
      const sourceVersion = versions[0] ?? (ref.defaultVersion && /^\d+$/.test(ref.defaultVersion) ? ref.defaultVersion : '');
      const t: RolloutTemplate = {
        accountId: ref.accountId, region: ref.region, templateId, templateName: ref.name, fromImageId: img.imageId, toImageId: s.imageId, toName: s.name,
        sourceVersion, groups: [...ref.usedBy].sort(cmp), steps: [], skipped: null,
      };
      if (!REGION_RE.test(ref.region) || !LAUNCH_TEMPLATE_RE.test(templateId) || !AMI_RE.test(img.imageId) || !AMI_RE.test(s.imageId) || !ACCOUNT_RE.test(ref.accountId)) {
        t.skipped = 'its region, template id, account or AMI ids are not what AWS issues';
      } else if (!sourceVersion) {
        t.skipped = 'the version in use is not known (run again with --references)';
      } else {
        const r = ['--region', ref.region];
        t.steps.push({
          comment: `creates a new version of launch template ${templateId} from version ${sourceVersion}, with ImageId ${s.imageId} instead of ${img.imageId}; prints its number`,
          args: ['ec2', 'create-launch-template-version', ...r, '--launch-template-id', templateId, '--source-version', sourceVersion,
            '--version-description', `ami-audit: ${img.imageId} replaced by ${s.imageId}`, '--launch-template-data', JSON.stringify({ ImageId: s.imageId }),
            '--query', 'LaunchTemplateVersion.VersionNumber', '--output', 'text'],
          captureVersion: true,
        });
        t.steps.push({
          comment: `makes that new version the default version of ${templateId} (groups on $Default launch it; groups on $Latest already do)`,
          args: ['ec2', 'modify-launch-template', ...r, '--launch-template-id', templateId, '--default-version'],
          usesVersion: true,
        });
        for (const g of t.groups) {
          // a line break or control character in a word would reach the terminal that reviews the file: left out, said
          if (CONTROL.test(g)) {
            t.steps.push({ comment: `Auto Scaling group ${commentText(g)} launches it too: its name holds control characters, so no command is written for it; refresh it by hand`, args: [] });
            continue;
          }
          t.steps.push({
            comment: `replaces the instances of Auto Scaling group ${commentText(g)} with instances of the new version (a group pinned to a version number needs update-auto-scaling-group first)`,
            args: ['autoscaling', 'start-instance-refresh', ...r, '--auto-scaling-group-name', g],
          });
        }
      }
      out.push(t);
    }
  }
  return out.sort((a, b) => cmp(a.accountId, b.accountId) || cmp(a.region, b.region) || cmp(a.templateId, b.templateId) || cmp(a.fromImageId, b.fromImageId));
}

/** One step as a shell line: every value single-quoted; $v only where the new version goes. */
function stepLine(step: RolloutStep): string {
  const words = ['aws', ...step.args.map(shellQuote)];
  if (step.usesVersion) words.push('"$v"');
  const cmd = words.join(' ');
  return step.captureVersion ? `v=$(${cmd})` : cmd;
}

/** The commands of one template as lines (comment, command, ...), for the script, the HTML and Markdown. */
export function rolloutLines(t: RolloutTemplate): string[] {
  const head = `# launch template ${commentText(t.templateName ?? t.templateId)} (${commentText(t.templateId)}) in account ${commentText(t.accountId)}, ${commentText(t.region)}: ${commentText(t.fromImageId)} -> ${commentText(t.toImageId)}${t.toName ? ` (${commentText(t.toName)})` : ''}`;
  if (t.skipped) return [head, `# no commands: ${t.skipped}`];
  const lines = [head, `# run with credentials for account ${t.accountId}`];
  for (const s of t.steps) lines.push(`# ${s.comment}`, ...(s.args.length ? [stepLine(s)] : []));
  return lines;
}

/**
 * `ami-audit-<stamp>-rollout.sh`: the commands of every template, never run by ami-audit; null
 * when there is nothing to roll out (no --successors or --references, or no successor found).
 */
export function renderRolloutScript(report: Report): string | null {
  const plan = rolloutPlan(report);
  if (!plan.length) return null;
  const lines = [
    '#!/usr/bin/env bash',
    `# ami-audit ${commentText(report.tool.version)}: rolling out the successor AMIs of run ${commentText(report.run.id)} (as of ${commentText(report.run.asOf)}).`,
    '# Written for review: ami-audit never runs it. Each command changes what its comment says; read them,',
    '# then run the file (or its lines) with credentials for each account named.',
    'set -euo pipefail',
    '',
  ];
  for (const t of plan) lines.push(...rolloutLines(t), '');
  return `${lines.join('\n').trimEnd()}\n`;
}
