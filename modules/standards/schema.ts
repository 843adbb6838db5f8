import * as z from 'zod';

export const TIERS = ['production', 'internal', 'prototype'] as const;
export type Tier = (typeof TIERS)[number];
export const DOMAINS = ['process', 'code', 'infra'] as const;
export type Domain = (typeof DOMAINS)[number];

const RepoName = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected "owner/name"' });

export const BranchProtectionStandard = z.strictObject({
  required_reviews: z.number().int().min(0).max(6).default(0).describe('Least number of approving reviews a pull request needs (GitHub allows 0 to 6).'),
  required_status_checks: z.array(z.string().min(1)).default([]).describe('Status checks (contexts) that must pass before merging.'),
  dismiss_stale_reviews: z.boolean().default(false).describe('Approvals are dismissed when new commits are pushed.'),
  enforce_admins: z.boolean().default(false).describe('The protection applies to administrators too.'),
});
export type BranchProtectionStandard = z.infer<typeof BranchProtectionStandard>;

export const ProcessStandard = z.strictObject({
  branch_protection: BranchProtectionStandard.optional().describe('Protection of the default branch (classic protection merged with rulesets); absent: not checked.'),
  codeowners: z.boolean().default(false).describe('A CODEOWNERS file (.github/, root or docs/) that GitHub reads without errors.'),
  required_workflows: z.array(z.string().min(1)).default([]).describe('Workflow files that must exist, as paths (.github/workflows/ci.yml).'),
  required_labels: z.array(z.string().min(1)).default([]).describe('Issue labels that must exist in the repository.'),
});
export type ProcessStandard = z.infer<typeof ProcessStandard>;

export const TierStandard = z.strictObject({
  process: ProcessStandard.prefault({}),
  code: z
    .strictObject({ files: z.array(z.string().min(1)).default([]).describe('Globs of the files that define standards; a change to one on the default branch is a finding.') })
    .prefault({}),
  infra: z
    .strictObject({
      deprecated_resources: z.boolean().default(true).describe('A deprecated project must have no cloud resource tagged with it left.'),
      orphans: z.boolean().default(false).describe('An active or pre-release project\'s tagged resources must all be in its Terraform state (modules.standards.infra.terraform_state).'),
      pre_release_skips_production: z
        .boolean()
        .default(true)
        .describe('A `status: pre-release` project is not searched in the accounts marked `production: true` (modules.standards.infra.aws.accounts); a deprecated project is always searched in every account.'),
    })
    .prefault({}),
});
export type TierStandard = z.infer<typeof TierStandard>;

const AccountId = z.string().regex(/^\d{12}$/, { error: (iss) => `expected a 12-digit AWS account id, got ${JSON.stringify(iss.input)}` });

/** One AWS account of the infra domain. */
export const AwsAccount = z.strictObject({
  id: AccountId,
  production: z.boolean().default(false).describe('The production account: skipped for pre-release projects when their tier says `pre_release_skips_production`.'),
  regions: z.array(z.string().min(1)).min(1, { error: 'expected at least one region (leave regions out to use modules.standards.infra.aws.regions)' }).optional().describe('Regions searched in this account; default: modules.standards.infra.aws.regions.'),
  endpoint: z.url().optional().describe('This account\'s Resource Groups Tagging API endpoint; default: modules.standards.infra.aws.endpoint.'),
});
export type AwsAccount = z.infer<typeof AwsAccount>;

export const StandardsConfig = z.object({
  org: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/).optional().describe('The GitHub organisation to scan (--org overrides it).'),
  repositories: z.array(RepoName).default([]).describe('Repositories in scope even without a repo-metadata.yaml (tier from `default_tier`).'),
  default_tier: z.enum(TIERS).default('internal').describe('Tier of a listed repository without metadata.'),
  only_changed: z.boolean().default(true).describe('Skip a repository whose default-branch head is the commit the last scan recorded.'),
  concurrency: z.number().int().min(1).max(32).default(8).describe('Repositories scanned at once.'),
  tiers: z
    .strictObject({ production: TierStandard.prefault({}), internal: TierStandard.prefault({}), prototype: TierStandard.prefault({}) })
    .prefault({}),
  infra: z
    .strictObject({
      tag_key: z.string().min(1).default('project').describe('The tag whose value names the project (the repository name) a cloud resource belongs to.'),
      terraform_state: z.string().min(1).optional().describe('Path (from the policy\'s folder) of each project\'s Terraform state as JSON: `terraform state pull` or `terraform show -json` output; {project} and {repo} are replaced by the repository name.'),
      aws: z
        .strictObject({
          regions: z.array(z.string().min(1)).default([]).describe('Regions searched with the Resource Groups Tagging API; none: the infra domain is off.'),
          account: AccountId.optional().describe('One account, not production (the older form of `accounts`; not both).'),
          endpoint: z.url().optional().describe('A Resource Groups Tagging API endpoint (tests, partitions).'),
          accounts: z.array(AwsAccount).default([]).describe('The accounts searched, each with its own credentials (auth.aws.roles[id]) and proven with STS GetCallerIdentity before its answers are used; none: the credentials at hand, unverified.'),
          sts: z.strictObject({ endpoint: z.url().optional().describe('The STS endpoint GetCallerIdentity asks (tests, partitions).') }).prefault({}),
        })
        .prefault({}),
    })
    .prefault({}),
  issues: z
    .strictObject({
      enabled: z.boolean().default(true),
      close_resolved: z.boolean().default(false).describe('Close an issue once its findings are all resolved (a comment is always posted).'),
    })
    .prefault({}),
  audit: z.strictObject({ threshold: z.number().int().min(0).default(5).describe('standards audit: repositories with more open drift issues than this are listed.') }).prefault({}),
  etag_cache: z.string().min(1).default('standards-etags.json').describe('ETag cache file under audit.dir (keep it between runs with actions/cache); 304 answers reuse the cached body.'),
});
export type StandardsConfig = z.infer<typeof StandardsConfig>;

/**
 * repo-metadata.yaml at a repository's root. The project a cloud resource's tag names is the
 * repository's own name: a repository cannot claim another project's resources (or a path of the
 * runner's choosing) through its metadata.
 */
export const RepoMetadata = z.strictObject({
  tier: z.enum(TIERS),
  status: z.enum(['active', 'pre-release', 'deprecated']),
  team: z.string().min(1).optional(),
});
export type RepoMetadata = z.infer<typeof RepoMetadata>;
