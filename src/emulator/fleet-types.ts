/**
 * The fleet file's shape: what the local endpoint serves (accounts, regions, instances, images,
 * launch templates, groups, the organisation). Types only, so that the fleet's checks, the
 * organisation builder and the generator import them without importing each other.
 */
import type { ImageWatermark, InstanceRecord } from '../model/types.js';

export type FleetInstance = Omit<InstanceRecord, 'accountId' | 'region'>;

export interface FleetRegion {
  name: string;
  /** true for regions that an account must opt in to (e.g. ap-east-1). */
  optIn?: boolean;
}

export interface FleetAccount {
  accountId: string;
  /** Human label, shown nowhere on the wire. */
  name?: string;
  /** false: every AssumeRole into this account is refused with AccessDenied. Default true. */
  assumable?: boolean;
  /** When set, AssumeRole must carry this ExternalId. */
  externalId?: string;
  /** Role names that exist in the account; default: any name. */
  roleNames?: string[];
  /** Opt-in regions this account has enabled. */
  optedInRegions?: string[];
  /** Block public access for AMIs per region (GetImageBlockPublicAccessState; default `unblocked`). */
  imageBlockPublicAccess?: Record<string, 'block-new-sharing' | 'unblocked'>;
  /** Allowed AMIs state per region (default `disabled`). */
  allowedImages?: Record<string, 'enabled' | 'audit-mode' | 'disabled'>;
  /**
   * Allowed AMIs image criteria per region, in the API's own field names (as
   * `get-allowed-images-settings` prints them). Absent: a region whose state is not `disabled`
   * answers one criterion, `{ ImageProviders: ['amazon'] }`.
   */
  allowedImagesCriteria?: Record<string, FleetImageCriterion[]>;
  /** Who manages the Allowed AMIs settings, per region (default `account`). */
  allowedImagesManagedBy?: Record<string, 'account' | 'declarative-policy'>;
  /** Instances per region. */
  instances?: Record<string, FleetInstance[]>;
  /** EC2 launch templates per region (DescribeLaunchTemplateVersions, DescribeImageReferences). */
  launchTemplates?: Record<string, FleetLaunchTemplate[]>;
  /** Auto Scaling groups per region (DescribeAutoScalingGroups). */
  autoScalingGroups?: Record<string, FleetAutoScalingGroup[]>;
  /** SSM parameters per region; one references an image when its value is that AMI id. */
  ssmParameters?: Record<string, FleetSsmParameter[]>;
  /** EC2 Image Builder image recipes per region; one references its `parentImage`. */
  imageRecipes?: Record<string, FleetRecipe[]>;
  /** EC2 Image Builder container recipes per region; one references its `parentImage`. */
  containerRecipes?: Record<string, FleetRecipe[]>;
}

/** One Allowed AMIs image criterion (the API's ImageCriterion; only the parameters given count). */
export interface FleetImageCriterion {
  /** `amazon`, `aws-marketplace`, `aws-backup-vault`, `none` or 12-digit account ids. */
  ImageProviders?: string[];
  MarketplaceProductCodes?: string[];
  /** Exact names or patterns with `*` and `?`. */
  ImageNames?: string[];
  DeprecationTimeCondition?: { MaximumDaysSinceDeprecated: number };
  CreationDateCondition?: { MaximumDaysSinceCreated: number };
  /** Watermark filters (the EC2 model's ImageWatermarkFilterRequest): key and region with `*` and `?`, day counts. */
  ImageWatermarks?: FleetWatermarkFilter[];
}

export interface FleetWatermarkFilter {
  WatermarkKey?: string;
  SourceImageRegion?: string;
  MaximumDaysSinceSourceImageCreated?: number;
  MaximumDaysSinceWatermarkCreated?: number;
}

export interface FleetLaunchTemplateVersion {
  /** 1, 2, ... (unique within the template). */
  number: number;
  /** The AMI the version launches (`launchTemplateData.imageId`); may be absent. */
  imageId?: string;
  /** ISO 8601; not sent when absent. */
  createTime?: string;
}

export interface FleetLaunchTemplate {
  /** lt- and 17 hex digits. */
  id: string;
  /** 3-128 characters: letters, digits and ( ) . / - _ */
  name: string;
  /** The number of one of `versions`. */
  defaultVersion: number;
  versions: FleetLaunchTemplateVersion[];
}

/** A group's launch template: `id` or `name` (or both); `version` `$Latest`, `$Default` or a number (default `$Default`). */
export interface FleetLaunchTemplateSpec {
  id?: string;
  name?: string;
  version?: string;
}

export interface FleetAutoScalingGroup {
  /** 1-255 characters, unique within the account and region. */
  name: string;
  /** The group launches from this template (at most one of launchTemplate and mixedInstancesPolicy; neither = a launch configuration). */
  launchTemplate?: FleetLaunchTemplateSpec;
  mixedInstancesPolicy?: {
    launchTemplate: FleetLaunchTemplateSpec;
    /** Per instance type; an override's launchTemplate replaces the policy's for that type, its imageId the template's AMI. */
    overrides?: { instanceType?: string; launchTemplate?: FleetLaunchTemplateSpec; imageId?: string }[];
  };
  /** Defaults: desiredCapacity = instanceIds.length, minSize = desiredCapacity, maxSize = max(desiredCapacity, 1). */
  minSize?: number;
  maxSize?: number;
  desiredCapacity?: number;
  /** Instances of the same account and region that belong to the group. */
  instanceIds?: string[];
  /** ISO 8601; 2024-01-01T00:00:00Z when absent. */
  createdTime?: string;
  /** Group tags (DescribeAutoScalingGroups filters tag-key, tag-value, tag:<key>). */
  tags?: { key: string; value: string }[];
}

export interface FleetSsmParameter {
  /** As SSM spells it, e.g. `/golden/ami/web` or `golden-ami`. */
  name: string;
  value: string;
}

export interface FleetRecipe {
  name: string;
  /** Semantic version, e.g. 1.0.0. */
  version: string;
  /** An AMI id, or anything else (an Image Builder image ARN, ...) that references no AMI. */
  parentImage: string;
}

/** An account's state in AWS Organizations (the API's `Account.State`). */
export type OrgAccountState = 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE' | 'CLOSED' | 'PENDING_ACTIVATION';

export interface FleetOrgUnit {
  /** ou-[0-9a-z]{4,32}-[a-z0-9]{8,32} */
  id: string;
  name: string;
  /** The root's id or another unit's id. */
  parentId: string;
}

export interface FleetOrgMember {
  accountId: string;
  name: string;
  email: string;
  state: OrgAccountState;
  /** The root's id or a unit's id. */
  parentId: string;
  /** ISO 8601; 2020-01-01T00:00:00Z when absent. */
  joinedTimestamp?: string;
  /** How the account joined; CREATED when absent. */
  joinedMethod?: 'CREATED' | 'INVITED';
}

/** The AWS Organizations organisation the endpoint serves (see docs/emulator.md). */
export interface FleetOrganization {
  /** o-[a-z0-9]{10,32} */
  id: string;
  /** 12 digits; must be one of `members`. */
  managementAccountId: string;
  /** r-[0-9a-z]{4,32} */
  rootId: string;
  units: FleetOrgUnit[];
  /** Members need not be in fleet.accounts (an org member with no EC2 data is fine). */
  members: FleetOrgMember[];
  /** Accounts besides the management account allowed to call Organizations. */
  delegatedAdministrators?: string[];
  /** Most items per page the endpoint returns (never more than the caller's MaxResults); default 20. */
  pageSize?: number;
  /** Every Nth page comes back with no items but a NextToken; default 0 = never. */
  emptyPageEvery?: number;
}

/**
 * An image DescribeImages can return (`--successors`): public images of Amazon and other
 * publishers, and accounts' own images (visible to their owner and the accounts in `sharedWith`).
 * The same id serves every region in `regions` (all the fleet's regions when absent).
 */
export interface FleetImage {
  imageId: string;
  name: string;
  ownerId: string;
  /** `amazon`, `aws-marketplace` or `aws-backup-vault`; absent for other owners. */
  ownerAlias?: string;
  architecture: 'x86_64' | 'arm64' | 'i386' | 'x86_64_mac' | 'arm64_mac';
  /** ISO 8601. */
  creationDate: string;
  /** ISO 8601; deprecated once it is past (by the endpoint's clock). */
  deprecationTime?: string;
  /** Default `available`. */
  state?: 'available' | 'pending' | 'disabled' | 'deregistered' | 'failed';
  /** Default: true when `ownerAlias` is set, else false. */
  public?: boolean;
  /** Accounts it is shared with (launch permissions). */
  sharedWith?: string[];
  regions?: string[];
  /** Organisations (ARNs) it is shared with (launch permissions `organizationArn`). */
  sharedWithOrganizations?: string[];
  /** OUs (ARNs) it is shared with (launch permissions `organizationalUnitArn`). */
  sharedWithOrganizationalUnits?: string[];
  /** DescribeImages deregistrationProtection; default `disabled`. */
  deregistrationProtection?: 'disabled' | 'enabled-with-cooldown' | 'enabled-without-cooldown';
  /** ISO 8601: when it last launched an instance. */
  lastLaunchedTime?: string;
  /** The image it was created or copied from (GetImageAncestry, DescribeImages sourceImageId). */
  sourceImageId?: string;
  sourceImageRegion?: string;
  /** DescribeImages imageWatermarkSet: the watermarks attached to it (key `accountId:watermarkName`, the AMI and Region it was first attached to, times ISO 8601). */
  imageWatermarks?: ImageWatermark[];
  /** Usage a usage report finds beside the fleet's own instances and launch templates (consumers the fleet does not hold). */
  usage?: { accountId: string; resourceType: 'ec2:Instance' | 'ec2:LaunchTemplate'; count: number; regions?: string[] }[];
  /** DescribeImageUsageReports answers that list a report as pending before it is available (default 2; -1: never available). */
  usageReportPolls?: number;
}

/** An SSM public parameter (`/aws/service/...`) that names an image, per region (every fleet region when absent). */
export interface FleetPublicParameter {
  name: string;
  imageId: string;
  regions?: string[];
  /** ISO 8601; the endpoint's start when absent. */
  lastModified?: string;
}

export interface Fleet {
  fleetVersion: 1;
  /**
   * ISO 8601: the instant the fleet's dates are relative to (the demo's and a generated fleet's
   * now). The endpoint's clock starts there and runs in real time: what it stamps (a usage
   * report's creation time, a public parameter's default LastModifiedDate) and what it judges by
   * the time (a deprecated image, an Allowed AMIs age) follow it. Absent: the wall clock.
   */
  asOf?: string;
  caller: { accountId: string; arn?: string };
  regions: FleetRegion[];
  accounts: FleetAccount[];
  /** Images DescribeImages answers (`--successors`); none when absent. */
  images?: FleetImage[];
  /** SSM public parameters (GetParameters, GetParametersByPath); none when absent. */
  publicParameters?: FleetPublicParameter[];
  /** AWS Organizations: served only when present (otherwise AWSOrganizationsNotInUseException). */
  organization?: FleetOrganization;
}
