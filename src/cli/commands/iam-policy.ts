/**
 * `ami-audit iam-policy`: one IAM document on stdout per invocation (src/cli/iam.ts makes it), and
 * nothing else, so that it can go straight into a file for the AWS CLI or CloudFormation. Without
 * --part or --cloudformation it prints the member role's policy, the default iamDocument documents.
 */
import { DEFAULT_ROLE_NAME, IAM_POLICY_DESCRIPTION, iamDocument, type IamPart } from '../iam.js';
import { readFlags, setting } from '../../config/options.js';
import { loadConfig, type CommandModule } from './context.js';
import { UsageError } from '../../model/errors.js';

/** The flags that only one part reads: given for another, they are a mistake worth saying. */
const ONLY_FOR: { flag: string; id: 'org' | 'externalId' | 'trustedPrincipal'; part: IamPart }[] = [
  { flag: '--org', id: 'org', part: 'caller' },
  { flag: '--external-id', id: 'externalId', part: 'trust' },
  { flag: '--trusted-principal', id: 'trustedPrincipal', part: 'trust' },
];

export const iamPolicyCommand: CommandModule = {
  name: 'iam-policy',
  command: 'iam-policy',
  describe: 'Print one least-privilege IAM document: a policy (--part member, caller or trust) or a CloudFormation template of the role',
  helpOrder: ['part', 'cloudformation', 'role-name', 'org', 'references', 'successors', 'images', 'trusted-principal', 'external-id', 'config'],
  builder: (y) => y.usage(`$0 iam-policy [options]\n\n${IAM_POLICY_DESCRIPTION}`),
  run: (argv, { io }) => {
    const a = readFlags('iam-policy', argv);
    // --cloudformation takes none of them either: the template has the principal and the id as parameters
    const part: IamPart | 'cloudformation' = a.cloudformation ? 'cloudformation' : a.part ?? 'member';
    for (const o of ONLY_FOR) {
      // --no-org says nothing about a part
      if (a[o.id] !== undefined && a[o.id] !== false && o.part !== part) throw new UsageError(`${o.flag} is for --part ${o.part}${a.cloudformation ? ', not --cloudformation' : ''}`);
    }
    const cfg = loadConfig(a.config);
    const text = iamDocument({
      part: a.part,
      cloudformation: a.cloudformation,
      roleName: setting('roleName', a, cfg) ?? DEFAULT_ROLE_NAME,
      org: a.org ?? (cfg.organization !== undefined && cfg.organization !== false),
      roleArns: (cfg.accounts ?? []).flatMap((e) => (typeof e !== 'string' && e.roleArn ? [e.roleArn] : [])),
      // the config's external id goes only into the trust policy, which prints it by design
      externalId: part === 'trust' ? setting('externalId', a, cfg) : undefined,
      trustedPrincipalArn: a.trustedPrincipal,
      references: setting('references', a, cfg) ?? false,
      successors: setting('successors', a, cfg) ?? false,
      images: a.images ?? false,
    });
    io.stdout.write(text);
  },
};
