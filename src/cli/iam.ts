/** The least-privilege IAM policies ami-audit needs: the audited role's and the caller's. */

/** Every API the collector calls in an audited account. */
export const AUDITED_ROLE_ACTIONS = ['ec2:DescribeInstanceImageMetadata', 'ec2:DescribeRegions', 'ec2:GetAllowedImagesSettings', 'ec2:DescribeInstances'] as const;
/** Every API the collector calls as the caller. */
export const CALLER_ACTIONS = ['sts:AssumeRole', 'sts:GetCallerIdentity'] as const;

export function iamPolicy(roleName: string) {
  return {
    description: 'Least-privilege policies for ami-audit. Attach auditedRolePolicy to the role in every audited account (trusting the caller), and callerPolicy to the identity that runs ami-audit. sts:GetCallerIdentity needs no permission but is listed for completeness.',
    auditedRolePolicy: {
      Version: '2012-10-17',
      Statement: [{ Sid: 'AmiAuditRead', Effect: 'Allow', Action: [...AUDITED_ROLE_ACTIONS], Resource: '*' }],
    },
    callerPolicy: {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'AmiAuditAssume', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: `arn:aws:iam::*:role/${roleName}` },
        { Sid: 'AmiAuditIdentity', Effect: 'Allow', Action: ['sts:GetCallerIdentity'], Resource: '*' },
        { Sid: 'AmiAuditOwnAccount', Effect: 'Allow', Action: [...AUDITED_ROLE_ACTIONS], Resource: '*' },
      ],
    },
  };
}
