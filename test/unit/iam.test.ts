/**
 * `ami-audit iam-policy`: one document per invocation (the caller's policy, the member role's
 * policy, its trust policy, or a CloudFormation template for that role), each one a valid IAM
 * document that grants exactly what the collector calls.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import {
  AUDITED_ROLE_ACTIONS, IMAGES_READ_ACTIONS, IMAGES_REPORT_ACTIONS, IAM_POLICY_DESCRIPTION, iamDocument, REFERENCES_ACTIONS, SUCCESSORS_EC2_ACTIONS, SUCCESSORS_SSM_ACTIONS, ORGANIZATIONS_ACTIONS, STACKSET_COMMANDS, STACKSET_MANAGEMENT_ACCOUNT_NOTE, type IamDocumentOptions,
} from '../../src/cli/iam.js';
import { UserError } from '../../src/model/errors.js';

const COLLECT = fileURLToPath(new URL('../../src/collect/', import.meta.url));
const RUNNER = 'arn:aws:iam::111122223333:role/AmiAuditRunner';

interface Statement { Sid?: unknown; Effect?: unknown; Action?: unknown; Resource?: unknown; Principal?: unknown; Condition?: unknown }
interface Policy { Version?: unknown; Statement?: Statement[] }

/** The document of one invocation, checked to be the JSON text put-role-policy / create-role read. */
function doc(o: Partial<IamDocumentOptions>): Policy & Record<string, unknown> {
  const text = iamDocument({ roleName: 'AmiAuditReadOnly', org: false, ...o });
  expect(text.endsWith('}\n')).toBe(true);
  const parsed = JSON.parse(text) as Policy & Record<string, unknown>;
  expect(text).toBe(`${JSON.stringify(parsed, null, 2)}\n`);
  return parsed;
}

const actionsOf = (p: Policy): string[] => (p.Statement ?? []).flatMap((s) => (Array.isArray(s.Action) ? s.Action as string[] : [s.Action as string]));

/** A valid policy: an identity policy (Resource, no Principal) or a trust policy (Principal, no Resource). */
function expectValidPolicy(p: Policy, kind: 'identity' | 'trust'): void {
  expect(Object.keys(p).sort()).toEqual(['Statement', 'Version']);
  expect(p.Version).toBe('2012-10-17');
  expect(Array.isArray(p.Statement)).toBe(true);
  expect(p.Statement!.length).toBeGreaterThan(0);
  const sids = p.Statement!.map((s) => s.Sid);
  for (const sid of sids) expect(sid).toMatch(/^[A-Za-z0-9]+$/);
  expect(new Set(sids).size).toBe(sids.length);
  for (const s of p.Statement!) {
    expect(s.Effect).toBe('Allow');
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    expect(actions.length).toBeGreaterThan(0);
    for (const a of actions) expect(a).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/); // no wildcard
    if (kind === 'identity') {
      expect(s.Resource).toBeDefined();
      expect(s.Principal).toBeUndefined();
    } else {
      expect(s.Resource).toBeUndefined();
      expect(s.Principal).toBeDefined();
    }
  }
  const all = actionsOf(p);
  expect(new Set(all).size).toBe(all.length);
}

/** The SDK package of each key of clients.ts's lazily loaded `sdk`. */
const SDK_KEYS: Record<string, string> = { ec2: 'client-ec2', sts: 'client-sts', organizations: 'client-organizations', autoScaling: 'client-auto-scaling', ssm: 'client-ssm' };

/** The `*Command` classes src/collect imports, per SDK client package (`client-ec2` -> [DescribeRegions, ...]). */
function commandsImported(only: (file: string) => boolean = () => true): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const f of readdirSync(COLLECT, { recursive: true }) as string[]) {
    if (!f.endsWith('.ts') || !only(f)) continue;
    const text = readFileSync(join(COLLECT, f), 'utf8');
    // commands reached through the lazily loaded SDK of clients.ts: sdk.ec2.XCommand
    for (const m of text.matchAll(/\bsdk\.(ec2|sts|organizations|autoScaling|ssm)\.([A-Za-z]+)Command\b/g)) {
      const pkg = SDK_KEYS[m[1]!]!;
      const set = out.get(pkg) ?? new Set<string>();
      set.add(m[2]!);
      out.set(pkg, set);
    }
    for (const m of text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*['"]@aws-sdk\/(client-[a-z0-9-]+)['"]/g)) {
      for (const raw of m[1]!.split(',')) {
        const name = raw.trim();
        if (!name || name.startsWith('type ')) continue;
        const cls = name.split(/\s+as\s+/)[0]!.trim();
        if (!cls.endsWith('Command')) continue;
        const set = out.get(m[2]!) ?? new Set<string>();
        set.add(cls.slice(0, -'Command'.length));
        out.set(m[2]!, set);
      }
    }
  }
  return out;
}

/** The IAM service prefix of each SDK client package the member role's calls may come from. */
const IAM_PREFIX: Record<string, string> = { 'client-ec2': 'ec2', 'client-auto-scaling': 'autoscaling', 'client-ssm': 'ssm' };
/** Clients the caller uses with its own identity (not the member role). */
const CALLER_CLIENTS = new Set(['client-sts', 'client-organizations']);

describe('the member role policy', () => {
  test('is a valid identity policy with exactly the actions the collector calls in an audited account', () => {
    const member = doc({ part: 'member' });
    expectValidPolicy(member, 'identity');
    const called: string[] = [];
    // the reference lookups (--references) and the successor lookups (--successors) are policies of their own: see below
    for (const [pkg, commands] of commandsImported((f) => f !== 'references.ts' && f !== 'successors.ts' && f !== 'owned-images.ts')) {
      if (CALLER_CLIENTS.has(pkg)) continue;
      const prefix = IAM_PREFIX[pkg];
      expect(`${pkg}: ${prefix ?? 'no IAM prefix known: add it to IAM_PREFIX and the policy'}`).toBe(`${pkg}: ${prefix}`);
      for (const c of commands) called.push(`${prefix}:${c}`);
    }
    // the collector really imports these (a sanity check on the import scan itself)
    expect(called).toEqual(expect.arrayContaining(['ec2:DescribeRegions', 'ec2:DescribeInstanceImageMetadata']));
    expect(actionsOf(member).sort()).toEqual([...new Set(called)].sort());
    expect([...AUDITED_ROLE_ACTIONS].sort()).toEqual([...new Set(called)].sort());
    expect(member.Statement!.every((s) => s.Resource === '*')).toBe(true);
  });

  test('--references adds exactly what the reference lookups call, and what DescribeImageReferences reads only through EC2 (aws:CalledVia)', () => {
    const member = doc({ part: 'member', references: true });
    expectValidPolicy(member, 'identity');
    const called: string[] = [];
    for (const [pkg, commands] of commandsImported((f) => f === 'references.ts')) for (const c of commands) called.push(`${IAM_PREFIX[pkg]}:${c}`);
    expect([...new Set(called)].sort()).toEqual([...REFERENCES_ACTIONS].sort());
    const direct = member.Statement!.filter((st) => !st.Condition).flatMap((st) => actionsOf({ Statement: [st] }));
    expect(direct.sort()).toEqual([...AUDITED_ROLE_ACTIONS, ...REFERENCES_ACTIONS].sort());
    const via = member.Statement!.find((st) => st.Condition)!;
    expect(via.Condition).toEqual({ 'ForAnyValue:StringEquals': { 'aws:CalledVia': ['ec2-images.amazonaws.com'] } });
    // with the direct grants, the EC2 User Guide's list for DescribeImageReferences is covered whole
    const guide = ['ec2:DescribeInstances', 'ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions', 'ssm:DescribeParameters', 'ssm:GetParameters', 'imagebuilder:ListImageRecipes', 'imagebuilder:ListContainerRecipes', 'imagebuilder:GetContainerRecipe'];
    expect([...direct, ...actionsOf({ Statement: [via] })]).toEqual(expect.arrayContaining(guide));
    // without it, nothing of the kind
    expect(actionsOf(doc({ part: 'member' })).some((a) => a.startsWith('autoscaling:') || a === 'ec2:DescribeImageReferences')).toBe(false);
  });

  test('--images adds exactly what ami-audit images calls, CreateImageUsageReport in a statement of its own', () => {
    const member = doc({ part: 'member', images: true });
    expectValidPolicy(member, 'identity');
    const called: string[] = [];
    for (const [pkg, commands] of commandsImported((f) => f === 'owned-images.ts')) for (const c of commands) called.push(`${IAM_PREFIX[pkg]}:${c}`);
    expect([...new Set(called)].sort()).toEqual([...IMAGES_READ_ACTIONS, ...IMAGES_REPORT_ACTIONS].sort());
    expect(actionsOf(member).sort()).toEqual([...AUDITED_ROLE_ACTIONS, ...IMAGES_READ_ACTIONS, ...IMAGES_REPORT_ACTIONS].sort());
    const report = member.Statement!.find((st) => st.Sid === 'AmiAuditImageUsageReports')!;
    expect(actionsOf({ Statement: [report] })).toEqual(['ec2:CreateImageUsageReport']);
    // with --successors too, DescribeImages is granted once
    const both = actionsOf(doc({ part: 'member', images: true, successors: true }));
    expect(both.filter((a) => a === 'ec2:DescribeImages')).toHaveLength(1);
    expect(actionsOf(doc({ part: 'member' })).some((a) => a.startsWith('ec2:') && a.includes('ImageUsage'))).toBe(false);
  });

  test('--successors adds exactly what the successor lookups call: DescribeImages on *, the SSM reads on the public parameters only', () => {
    const member = doc({ part: 'member', successors: true });
    expectValidPolicy(member, 'identity');
    const called: string[] = [];
    for (const [pkg, commands] of commandsImported((f) => f === 'successors.ts')) for (const c of commands) called.push(`${IAM_PREFIX[pkg]}:${c}`);
    // what the lookups call beyond the base policy (they re-read the Allowed AMIs settings a scope did not need)
    const added = [...new Set(called)].filter((a) => !(AUDITED_ROLE_ACTIONS as readonly string[]).includes(a)).sort();
    expect(added).toEqual([...SUCCESSORS_EC2_ACTIONS, ...SUCCESSORS_SSM_ACTIONS].sort());
    expect(actionsOf(member).sort()).toEqual([...AUDITED_ROLE_ACTIONS, ...added].sort());
    const ssmStatement = member.Statement!.find((st) => actionsOf({ Statement: [st] }).some((a) => a.startsWith('ssm:')))!;
    expect(ssmStatement.Resource).toBe('arn:aws:ssm:*::parameter/aws/service/*');
    expect(doc({ part: 'caller', successors: true, partition: 'aws-cn' }).Statement!.some((st) => st.Resource === 'arn:aws-cn:ssm:*::parameter/aws/service/*')).toBe(true);
    const cfn = JSON.parse(iamDocument({ cloudformation: true, roleName: 'AmiAuditReadOnly', org: false, successors: true })) as { Resources: { AmiAuditRole: { Properties: { Policies: { PolicyDocument: { Statement: { Resource: unknown }[] } }[] } } } };
    expect(cfn.Resources.AmiAuditRole.Properties.Policies[0]!.PolicyDocument.Statement.some((st) => JSON.stringify(st.Resource).includes('AWS::Partition'))).toBe(true);
    // without it, nothing of the kind
    expect(actionsOf(doc({ part: 'member' })).some((a) => a.startsWith('ssm:') || a === 'ec2:DescribeImages')).toBe(false);
  });

  test('the default part is the member policy; org does not change it', () => {
    expect(doc({})).toEqual(doc({ part: 'member' }));
    expect(doc({ part: 'member', org: true })).toEqual(doc({ part: 'member' }));
  });
});

describe('the caller policy', () => {
  const ORG = ['organizations:DescribeOrganization', 'organizations:ListRoots', 'organizations:ListOrganizationalUnitsForParent', 'organizations:ListAccountsForParent', 'organizations:ListAccounts', 'organizations:ListParents'];

  test('may assume the role in any account (partition-aware), and never lists sts:GetCallerIdentity', () => {
    const caller = doc({ part: 'caller' });
    expectValidPolicy(caller, 'identity');
    const assume = caller.Statement!.filter((s) => actionsOf({ Statement: [s] }).includes('sts:AssumeRole'));
    expect(assume).toHaveLength(1);
    expect(assume[0]!.Resource).toBe('arn:aws:iam::*:role/AmiAuditReadOnly');
    expect(actionsOf(caller)).not.toContain('sts:GetCallerIdentity');
    const cn = doc({ part: 'caller', roleName: 'Audit.Role', partition: 'aws-cn' });
    expect(cn.Statement!.find((s) => actionsOf({ Statement: [s] }).includes('sts:AssumeRole'))!.Resource).toBe('arn:aws-cn:iam::*:role/Audit.Role');
  });

  test('every STS call the collector makes is covered: AssumeRole granted, GetCallerIdentity needing no permission', () => {
    const sts = [...(commandsImported().get('client-sts') ?? [])].sort();
    expect(sts).toEqual(['AssumeRole', 'GetCallerIdentity']);
  });

  test('keeps the member actions for the caller\'s own account (audited with the base credentials when no role is given for it)', () => {
    const caller = doc({ part: 'caller' });
    expect(actionsOf(caller).filter((a) => !a.startsWith('sts:')).sort()).toEqual([...AUDITED_ROLE_ACTIONS].sort());
  });

  test('with org: exactly the Organizations read actions of discovery; without: none', () => {
    const withOrg = doc({ part: 'caller', org: true });
    expectValidPolicy(withOrg, 'identity');
    expect(actionsOf(withOrg).filter((a) => a.startsWith('organizations:')).sort()).toEqual([...ORG].sort());
    expect([...ORGANIZATIONS_ACTIONS].sort()).toEqual([...ORG].sort());
    expect(actionsOf(doc({ part: 'caller' })).filter((a) => a.startsWith('organizations:'))).toEqual([]);
    // whatever discovery calls is granted
    // exactly what discovery calls: nothing it does not
    expect([...(commandsImported().get('client-organizations') ?? [])].map((c) => `organizations:${c}`).sort()).toEqual([...ORG].sort());
    expect(actionsOf(withOrg).filter((a) => !a.startsWith('organizations:')).sort()).toEqual(actionsOf(doc({ part: 'caller' })).sort());
  });
});

describe('the trust policy', () => {
  test('trusts the given principal to call sts:AssumeRole; no Condition without an external id', () => {
    const trust = doc({ part: 'trust', trustedPrincipalArn: RUNNER });
    expectValidPolicy(trust, 'trust');
    expect(trust.Statement).toHaveLength(1);
    const s = trust.Statement![0]!;
    expect(s.Principal).toEqual({ AWS: RUNNER });
    expect(actionsOf(trust)).toEqual(['sts:AssumeRole']);
    expect(s.Condition).toBeUndefined();
  });

  test('with an external id: a StringEquals sts:ExternalId condition', () => {
    const trust = doc({ part: 'trust', trustedPrincipalArn: RUNNER, externalId: 'ext-id-1234' });
    expectValidPolicy(trust, 'trust');
    expect(trust.Statement![0]!.Condition).toEqual({ StringEquals: { 'sts:ExternalId': 'ext-id-1234' } });
  });

  test('without --trusted-principal: a one-line UserError naming the option with an example', () => {
    let err: unknown;
    try {
      iamDocument({ part: 'trust', roleName: 'AmiAuditReadOnly', org: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as Error).message;
    expect(msg).toContain('--trusted-principal');
    expect(msg).toMatch(/e\.g\. --trusted-principal arn:aws:iam::\d{12}:/);
    expect(msg).not.toContain('\n');
  });

  test('refuses a principal that is not an IAM ARN or account id, and a malformed external id, without echoing the id', () => {
    expect(() => iamDocument({ part: 'trust', roleName: 'AmiAuditReadOnly', org: false, trustedPrincipalArn: 'AmiAuditRunner' })).toThrow(/--trusted-principal/);
    expect(() => iamDocument({ part: 'trust', roleName: 'AmiAuditReadOnly', org: false, trustedPrincipalArn: RUNNER, externalId: 'bad id with spaces' })).toThrow(UserError);
    try {
      iamDocument({ part: 'trust', roleName: 'AmiAuditReadOnly', org: false, trustedPrincipalArn: RUNNER, externalId: 'bad id with spaces' });
    } catch (e) {
      expect((e as Error).message).toContain('--external-id');
      expect((e as Error).message).not.toContain('bad id with spaces');
    }
    expect(doc({ part: 'trust', trustedPrincipalArn: '111122223333' }).Statement![0]!.Principal).toEqual({ AWS: '111122223333' });
  });
});

describe('options that cannot make a valid document', () => {
  test('a role name that is not one, a partition that is not one, --cloudformation with --part', () => {
    expect(() => iamDocument({ part: 'caller', roleName: 'arn:aws:iam::1:role/x', org: false })).toThrow(/--role-name/);
    expect(() => iamDocument({ part: 'caller', roleName: 'AmiAuditReadOnly', org: false, partition: 'azure' })).toThrow(UserError);
    expect(() => iamDocument({ part: 'member', cloudformation: true, roleName: 'AmiAuditReadOnly', org: false })).toThrow(/--cloudformation/);
  });
});

// ---- CloudFormation ---------------------------------------------------------------------------

const NO_VALUE = Symbol('AWS::NoValue');

/** Evaluates the intrinsic functions the template uses (Ref, Fn::If, Fn::Equals, Fn::Not, Condition). */
function resolve(node: unknown, params: Record<string, string>, conditions: Record<string, unknown>): unknown {
  if (Array.isArray(node)) return node.map((x) => resolve(x, params, conditions)).filter((x) => x !== NO_VALUE);
  if (node === null || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    const [k] = keys as [string];
    const v = o[k];
    if (k === 'Ref') {
      if (v === 'AWS::NoValue') return NO_VALUE;
      if (!(String(v) in params)) throw new Error(`Ref to an unknown parameter ${String(v)}`);
      return params[String(v)];
    }
    if (k === 'Condition') return resolve(conditions[String(v)], params, conditions);
    if (k === 'Fn::If') {
      const [cond, a, b] = v as [string, unknown, unknown];
      if (!(cond in conditions)) throw new Error(`Fn::If on an unknown condition ${cond}`);
      return resolve(resolve(conditions[cond], params, conditions) === true ? a : b, params, conditions);
    }
    if (k === 'Fn::Equals') {
      const [a, b] = (v as unknown[]).map((x) => resolve(x, params, conditions));
      return a === b;
    }
    if (k === 'Fn::Not') return !(resolve((v as unknown[])[0], params, conditions) as boolean);
    if (k.startsWith('Fn::')) throw new Error(`the test does not evaluate ${k}`);
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const r = resolve(o[k], params, conditions);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

interface Template {
  AWSTemplateFormatVersion: string;
  Parameters: Record<string, { Type: string; Default?: string }>;
  Conditions: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  Outputs: Record<string, { Value: unknown }>;
}

describe('the CloudFormation template of the member role', () => {
  const template = (roleName = 'AmiAuditReadOnly'): Template => doc({ cloudformation: true, roleName }) as unknown as Template;

  test('parameters, condition, one IAM role, and its ARN as an output', () => {
    const t = template();
    expect(t.AWSTemplateFormatVersion).toBe('2010-09-09');
    expect(Object.keys(t.Parameters).sort()).toEqual(['ExternalId', 'RoleName', 'TrustedPrincipalArn']);
    for (const p of Object.values(t.Parameters)) expect(p.Type).toBe('String');
    expect(t.Parameters.RoleName!.Default).toBe('AmiAuditReadOnly');
    expect(t.Parameters.ExternalId!.Default).toBe('');
    expect(t.Parameters.TrustedPrincipalArn!.Default).toBeUndefined();
    expect(Object.keys(t.Conditions)).toEqual(['HasExternalId']);
    const resources = Object.values(t.Resources);
    expect(resources.map((r) => r.Type)).toEqual(['AWS::IAM::Role']);
    const [logicalId] = Object.keys(t.Resources) as [string];
    expect(resources[0]!.Properties.RoleName).toEqual({ Ref: 'RoleName' });
    expect(t.Outputs.RoleArn!.Value).toEqual({ 'Fn::GetAtt': [logicalId, 'Arn'] });
    expect(template('OtherRole').Parameters.RoleName!.Default).toBe('OtherRole');
  });

  test('the role\'s inline policy is the member document', () => {
    const role = Object.values(template().Resources)[0]!;
    const policies = role.Properties.Policies as { PolicyName: string; PolicyDocument: unknown }[];
    expect(policies).toHaveLength(1);
    expect(policies[0]!.PolicyName).toMatch(/^[\w+=,.@-]+$/);
    expect(policies[0]!.PolicyDocument).toEqual(doc({ part: 'member' }));
  });

  test.each([
    ['without an external id', ''],
    ['with an external id', 'sample-external-id'],
  ])('the trust policy, its Refs substituted, is the trust document (%s)', (_label, externalId) => {
    const t = template();
    const role = Object.values(t.Resources)[0]!;
    const params = { RoleName: 'AmiAuditReadOnly', TrustedPrincipalArn: RUNNER, ExternalId: externalId };
    const resolved = resolve(role.Properties.AssumeRolePolicyDocument, params, t.Conditions) as Policy;
    expect(resolved).toEqual(doc({ part: 'trust', trustedPrincipalArn: RUNNER, ...(externalId ? { externalId } : {}) }));
    expect('Condition' in resolved.Statement![0]!).toBe(externalId !== '');
  });
});

describe('deployment with a service-managed StackSet', () => {
  test('the two AWS CLI commands', () => {
    const lines = STACKSET_COMMANDS.replace(/\\\n\s*/g, ' ').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    expect(lines.map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual(['aws cloudformation create-stack-set', 'aws cloudformation create-stack-instances']);
    const [create, instances] = lines as [string, string];
    for (const part of ['--permission-model SERVICE_MANAGED', '--auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false', '--capabilities CAPABILITY_NAMED_IAM', '--template-body file://']) expect(create).toContain(part);
    for (const key of create.match(/ParameterKey=(\w+)/g) ?? []) expect(Object.keys(template().Parameters)).toContain(key.slice('ParameterKey='.length));
    expect(create).toContain('ParameterKey=TrustedPrincipalArn');
    expect(instances).toContain('--deployment-targets OrganizationalUnitIds=');
    // IAM is global: one region, or the second would collide on the role name
    expect(instances).toMatch(/--regions [a-z]{2}(-[a-z]+)+-\d+(\s|$)/);
    expect(instances.split('--regions ')[1]!.trim().split(/\s+/)).toHaveLength(1);
    expect(STACKSET_MANAGEMENT_ACCOUNT_NOTE).toMatch(/management account/);
    expect(STACKSET_MANAGEMENT_ACCOUNT_NOTE).toContain('create-stack ');
  });

  function template(): Template {
    return JSON.parse(iamDocument({ cloudformation: true, roleName: 'AmiAuditReadOnly', org: false })) as Template;
  }
});

test('the command\'s description names every part and the template', () => {
  for (const word of ['caller', 'member', 'trust', '--cloudformation']) expect(IAM_POLICY_DESCRIPTION).toContain(word);
  expect(IAM_POLICY_DESCRIPTION).not.toContain('\n');
});
