/**
 * The least-privilege IAM documents ami-audit needs, one per invocation of `ami-audit iam-policy`,
 * each printable straight into a file for `aws iam put-role-policy --policy-document file://...`,
 * `aws iam create-role --assume-role-policy-document file://...` or a CloudFormation StackSet.
 */
import { ROLE_NAME_RE } from '../collect/filters.js';
import { UserError } from '../model/errors.js';

/**
 * Every API the collector calls in an audited account (the member role's policy). A test compares
 * it with the `*Command` classes src/collect imports, so a new call fails the tests until it is
 * added here.
 */
export const AUDITED_ROLE_ACTIONS = ['ec2:DescribeInstanceImageMetadata', 'ec2:DescribeRegions', 'ec2:GetAllowedImagesSettings', 'ec2:DescribeInstances'] as const;
/**
 * What `--references` calls in an audited account besides (src/collect/references.ts): the lookup
 * itself, the launch template versions Auto Scaling groups name, and the groups.
 */
export const REFERENCES_ACTIONS = ['ec2:DescribeImageReferences', 'ec2:DescribeLaunchTemplateVersions', 'autoscaling:DescribeAutoScalingGroups'] as const;
/**
 * What DescribeImageReferences reads on the caller's behalf, allowed only through it: the EC2 User
 * Guide's example policy (and the managed AmazonEC2ImageReferencesAccessPolicy) grant these with
 * the condition aws:CalledVia ec2-images.amazonaws.com.
 */
export const REFERENCES_CALLED_VIA_ACTIONS = [
  'ec2:DescribeLaunchTemplates', 'ssm:DescribeParameters', 'ssm:GetParameters',
  'imagebuilder:ListImageRecipes', 'imagebuilder:ListContainerRecipes', 'imagebuilder:GetContainerRecipe',
] as const;
/**
 * What `--successors` calls in an audited account besides (src/collect/successors.ts): the images
 * (the flagged AMIs' architecture, the family's candidates), on every resource.
 */
export const SUCCESSORS_EC2_ACTIONS = ['ec2:DescribeImages'] as const;
/**
 * What `ami-audit images` reads in an account that owns AMIs (src/collect/owned-images.ts): its
 * AMIs, their launch permissions, the region's block public access, their ancestry and the usage
 * reports. CreateImageUsageReport, the one call that creates anything (a report EC2 deletes after
 * 30 days; no image is modified), is a statement of its own.
 */
export const IMAGES_READ_ACTIONS = [
  'ec2:DescribeImages', 'ec2:DescribeImageAttribute', 'ec2:GetImageBlockPublicAccessState', 'ec2:GetImageAncestry',
  'ec2:DescribeImageUsageReports', 'ec2:DescribeImageUsageReportEntries',
] as const;
export const IMAGES_REPORT_ACTIONS = ['ec2:CreateImageUsageReport'] as const;
/** And the SSM public parameters that name each family's latest AMI, on those parameters only. */
export const SUCCESSORS_SSM_ACTIONS = ['ssm:GetParameters', 'ssm:GetParametersByPath'] as const;
/** The guide's list also has ec2:DescribeInstances and ec2:DescribeLaunchTemplateVersions: the role has them without the condition already. */
/**
 * Every STS API the collector calls as the caller. sts:GetCallerIdentity needs no permission (an
 * explicit Deny cannot stop it either), so only sts:AssumeRole goes into the caller's policy.
 */
export const CALLER_ACTIONS = ['sts:AssumeRole', 'sts:GetCallerIdentity'] as const;
/** The Organizations read actions of account discovery (the caller's policy with `org`). */
export const ORGANIZATIONS_ACTIONS = [
  'organizations:DescribeOrganization',
  'organizations:ListRoots',
  'organizations:ListOrganizationalUnitsForParent',
  'organizations:ListAccountsForParent',
  // the walk checked against the organisation's own list, and a moved account placed again
  'organizations:ListAccounts',
  'organizations:ListParents',
] as const;

export const DEFAULT_ROLE_NAME = 'AmiAuditReadOnly';

/** The command's description for --help. */
export const IAM_POLICY_DESCRIPTION = 'Print one least-privilege IAM document as JSON: --part member (the read-only policy of the role in every audited account; the default; --references adds what reference lookups read), caller (the policy of the identity that runs ami-audit; --org adds account discovery) or trust (the role\'s trust policy; needs --trusted-principal), or --cloudformation (a template for the role, for a service-managed StackSet)';

export type IamPart = 'caller' | 'member' | 'trust';

export interface IamDocumentOptions {
  /** Which document; 'member' when absent. Not with `cloudformation`. */
  part?: IamPart;
  /** The CloudFormation template of the member role instead of a policy. */
  cloudformation?: boolean;
  /** The role assumed in every account (the caller's resource, the template's default RoleName). */
  roleName: string;
  /** The caller discovers the accounts with AWS Organizations (part caller). */
  org: boolean;
  /** Role ARNs named per account (the config's accounts[].roleArn, paths included): the caller may assume them too (part caller). */
  roleArns?: readonly string[];
  /** The trust policy's sts:ExternalId condition (part trust). */
  externalId?: string;
  /** The identity that runs ami-audit, trusted by the member role (part trust, required). */
  trustedPrincipalArn?: string;
  /** 'aws' when absent; 'aws-cn', 'aws-us-gov', ... for the caller's role ARN. */
  partition?: string;
  /** The run looks up what references flagged AMIs (--references): the member policy (and the template) add what that reads. */
  references?: boolean;
  /** The run looks up successors (--successors): the member policy (and the template) add DescribeImages and the public parameters. */
  successors?: boolean;
  /** The role serves `ami-audit images` (--images): the member policy (and the template) add what it reads and CreateImageUsageReport. */
  images?: boolean;
}

interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource?: string | string[] | Record<string, unknown>;
  Principal?: { AWS: unknown };
  Condition?: unknown;
}
interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

const PARTITION_RE = /^aws(?:-[a-z]+)*$/;
/** An IAM or STS principal ARN, or a bare account id (IAM reads it as the account's root). */
const PRINCIPAL_RE = /^(?:\d{12}|arn:aws(?:-[a-z]+)*:(?:iam|sts)::\d{12}:[\w+=,.@/:-]+)$/;
/** What AWS accepts as an external id: 2-1224 of letters, digits and +=,.@:/-. */
const EXTERNAL_ID_RE = /^[\w+=,.@:/-]{2,1224}$/;
const PRINCIPAL_EXAMPLE = 'e.g. --trusted-principal arn:aws:iam::111122223333:role/AmiAuditRunner';

/** The member role's policy: exactly the EC2 reads the collector makes, on every resource. */
function memberPolicy(references = false, successors = false, partition: string | Record<string, unknown> = 'aws', images = false): PolicyDocument {
  const statements: PolicyStatement[] = [{ Sid: 'AmiAuditRead', Effect: 'Allow', Action: [...AUDITED_ROLE_ACTIONS], Resource: '*' }];
  if (images) {
    statements.push(
      { Sid: 'AmiAuditOwnedImages', Effect: 'Allow', Action: [...IMAGES_READ_ACTIONS.filter((a) => !(successors && (SUCCESSORS_EC2_ACTIONS as readonly string[]).includes(a)))], Resource: '*' },
      // the one call that creates anything: a usage report of an owned AMI (EC2 deletes it after 30 days); no image is modified
      { Sid: 'AmiAuditImageUsageReports', Effect: 'Allow', Action: [...IMAGES_REPORT_ACTIONS], Resource: '*' },
    );
  }
  if (successors) {
    statements.push(
      { Sid: 'AmiAuditSuccessorImages', Effect: 'Allow', Action: [...SUCCESSORS_EC2_ACTIONS], Resource: '*' },
      // the public parameters have no account in their ARN; every region's
      { Sid: 'AmiAuditSuccessorParameters', Effect: 'Allow', Action: [...SUCCESSORS_SSM_ACTIONS], Resource: typeof partition === 'string' ? `arn:${partition}:ssm:*::parameter/aws/service/*` : partition },
    );
  }
  if (references) {
    statements.push(
      { Sid: 'AmiAuditReferences', Effect: 'Allow', Action: [...REFERENCES_ACTIONS], Resource: '*' },
      {
        Sid: 'AmiAuditReferencesThroughEc2', Effect: 'Allow', Action: [...REFERENCES_CALLED_VIA_ACTIONS], Resource: '*',
        Condition: { 'ForAnyValue:StringEquals': { 'aws:CalledVia': ['ec2-images.amazonaws.com'] } },
      },
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * The caller's policy. sts:GetCallerIdentity is called but needs no permission, so it is not
 * listed. The member actions stay: the caller's own account is audited with the base credentials
 * when no role is given for it, and region discovery for an account that failed reads the
 * caller's own regions with them too.
 */
function callerPolicy(roleName: string, partition: string, org: boolean, references: boolean, roleArns: readonly string[], successors = false, images = false): PolicyDocument {
  // every role ARN a run can build: the role name in any account, and each role the config names
  // for one account as it is written there (with its path: role/security/Name is not role/Name)
  const roles = [...new Set([`arn:${partition}:iam::*:role/${roleName}`, ...roleArns])];
  const statements: PolicyStatement[] = [
    { Sid: 'AmiAuditAssumeRole', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: roles.length === 1 ? roles[0] : roles },
    ...memberPolicy(references, successors, partition, images).Statement.map((st) => ({ ...st, Sid: st.Sid.replace(/^AmiAudit/, 'AmiAuditOwnAccount') })),
  ];
  // '*': discovery reads the whole tree (the organisation, its roots, OUs and accounts).
  if (org) statements.push({ Sid: 'AmiAuditDiscoverAccounts', Effect: 'Allow', Action: [...ORGANIZATIONS_ACTIONS], Resource: '*' });
  return { Version: '2012-10-17', Statement: statements };
}

/** The trust statement, its values given as they are or as CloudFormation expressions. */
function trustStatement(principal: unknown, condition: unknown): PolicyStatement {
  return { Sid: 'AmiAuditTrustCaller', Effect: 'Allow', Principal: { AWS: principal }, Action: ['sts:AssumeRole'], ...(condition === undefined ? {} : { Condition: condition }) };
}

function trustPolicy(trustedPrincipalArn: string, externalId: string | undefined): PolicyDocument {
  // The one place ami-audit prints an external id: it is part of the trust policy the user asked for.
  const condition = externalId ? { StringEquals: { 'sts:ExternalId': externalId } } : undefined;
  return { Version: '2012-10-17', Statement: [trustStatement(trustedPrincipalArn, condition)] };
}

/** The member role as a CloudFormation template, for a stack or a service-managed StackSet. */
function cloudFormationTemplate(roleName: string, references: boolean, successors = false, images = false): Record<string, unknown> {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'The read-only role ami-audit assumes in every audited account (ami-audit iam-policy --cloudformation).',
    Parameters: {
      RoleName: { Type: 'String', Default: roleName, AllowedPattern: '[\\w+=,.@-]{1,64}', Description: 'Name of the role ami-audit assumes (its --role-name).' },
      TrustedPrincipalArn: { Type: 'String', AllowedPattern: '\\d{12}|arn:aws[a-z-]*:(iam|sts)::\\d{12}:.+', Description: 'ARN of the identity that runs ami-audit (a role or user in the tooling account).' },
      ExternalId: { Type: 'String', Default: '', NoEcho: true, AllowedPattern: '|[\\w+=,.@:/-]{2,1224}', Description: 'ExternalId ami-audit passes to AssumeRole (its --external-id); empty for none.' },
    },
    Conditions: { HasExternalId: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ExternalId' }, ''] }] } },
    Resources: {
      AmiAuditRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: { Ref: 'RoleName' },
          Description: 'Read-only access for ami-audit',
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [trustStatement({ Ref: 'TrustedPrincipalArn' }, {
              'Fn::If': ['HasExternalId', { StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } } }, { Ref: 'AWS::NoValue' }],
            })],
          },
          Policies: [{ PolicyName: 'AmiAuditRead', PolicyDocument: memberPolicy(references, successors, { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:*::parameter/aws/service/*' }, images) }],
        },
      },
    },
    Outputs: { RoleArn: { Description: 'The ARN of the role', Value: { 'Fn::GetAtt': ['AmiAuditRole', 'Arn'] } } },
  };
}

/**
 * One IAM document as JSON text (2-space indent, trailing newline): the caller's policy, the
 * member role's policy, its trust policy, or (with `cloudformation`) a template for that role.
 * Throws a UserError naming the option when the options cannot make a valid document.
 */
export function iamDocument(o: IamDocumentOptions): string {
  if (!ROLE_NAME_RE.test(o.roleName)) throw new UserError(`--role-name: "${o.roleName}" is not a role name (1-64 of letters, digits and +=,.@_-); give a name, not an ARN`);
  const partition = o.partition ?? 'aws';
  if (!PARTITION_RE.test(partition)) throw new UserError(`partition "${partition}" is not an AWS partition (aws, aws-cn, aws-us-gov, ...)`);
  if (o.cloudformation && o.part !== undefined) throw new UserError('--cloudformation prints the member role\'s template (its trust and member policies in one): leave out --part');
  let doc: unknown;
  if (o.cloudformation) {
    doc = cloudFormationTemplate(o.roleName, o.references ?? false, o.successors ?? false, o.images ?? false);
  } else {
    const part = o.part ?? 'member';
    if (part === 'member') {
      doc = memberPolicy(o.references ?? false, o.successors ?? false, partition, o.images ?? false);
    } else if (part === 'caller') {
      doc = callerPolicy(o.roleName, partition, o.org, o.references ?? false, o.roleArns ?? [], o.successors ?? false, o.images ?? false);
    } else {
      if (!o.trustedPrincipalArn) throw new UserError(`--part trust needs --trusted-principal, the ARN of the identity that runs ami-audit (${PRINCIPAL_EXAMPLE})`);
      if (!PRINCIPAL_RE.test(o.trustedPrincipalArn)) throw new UserError(`--trusted-principal: "${o.trustedPrincipalArn}" is not an IAM role, user or account ARN (${PRINCIPAL_EXAMPLE})`);
      // the value is not echoed: ami-audit treats the external id as a secret everywhere else
      if (o.externalId !== undefined && !EXTERNAL_ID_RE.test(o.externalId)) throw new UserError('--external-id: not an external id (2-1224 of letters, digits and +=,.@:/-)');
      doc = trustPolicy(o.trustedPrincipalArn, o.externalId);
    }
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * Deploys the member role to every account of the organisation (or of the OUs named) with a
 * service-managed StackSet, from the management account or a delegated administrator (which adds
 * `--call-as DELEGATED_ADMIN` to both commands). IAM is global: one region, or the second stack
 * of each account would collide on the role name. Auto-deployment gives accounts that join later
 * the role too.
 */
export const STACKSET_COMMANDS = `# the template first: npx ami-audit iam-policy --cloudformation > ami-audit-role.json
aws cloudformation create-stack-set \\
  --stack-set-name ami-audit-role \\
  --template-body file://ami-audit-role.json \\
  --permission-model SERVICE_MANAGED \\
  --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false \\
  --capabilities CAPABILITY_NAMED_IAM \\
  --parameters ParameterKey=TrustedPrincipalArn,ParameterValue=arn:aws:iam::111122223333:role/AmiAuditRunner ParameterKey=ExternalId,ParameterValue=YOUR-EXTERNAL-ID
aws cloudformation create-stack-instances \\
  --stack-set-name ami-audit-role \\
  --deployment-targets OrganizationalUnitIds=r-exmp \\
  --regions us-east-1
`;

/**
 * StackSets with service-managed permissions never deploy to the management account, even when
 * it sits in a targeted OU (CloudFormation User Guide, "Create CloudFormation StackSets with
 * service-managed permissions", Considerations).
 */
export const STACKSET_MANAGEMENT_ACCOUNT_NOTE = `A service-managed StackSet does not deploy to the management account, even when it is in a targeted OU or the root. To audit the management account through the role, create the role there with a stack of the same template, signed in to the management account:
aws cloudformation create-stack \\
  --stack-name ami-audit-role \\
  --template-body file://ami-audit-role.json \\
  --capabilities CAPABILITY_NAMED_IAM \\
  --parameters ParameterKey=TrustedPrincipalArn,ParameterValue=arn:aws:iam::111122223333:role/AmiAuditRunner ParameterKey=ExternalId,ParameterValue=YOUR-EXTERNAL-ID
`;
