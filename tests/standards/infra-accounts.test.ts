import { CreateBucketCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { IdentityServer } from '../helpers/clouds/identity.ts';
import { MotoServer } from '../helpers/clouds/moto.ts';
import { awsQueryError, FaultProxy, type ProxiedRequest } from '../helpers/fault-proxy.ts';
import { GitHubOrg } from '../helpers/github-org.ts';
import { GitHubServer } from '../helpers/github-server.ts';

// The infra domain across several AWS accounts, each reached with its own role through the GitHub
// OIDC exchange (a loopback token endpoint) against moto_server, which keeps each account's
// resources apart: a session of a role in account A sees only account A's resources.
const PROD = '111111111111';
const STAGE = '222222222222';
/** Configured in the policy, but its role lives in account ELSEWHERE. */
const WRONG = '333333333333';
const ELSEWHERE = '444444444444';
const role = (account: string) => `arn:aws:iam::${account}:role/driftguard-standards`;

let server: GitHubServer;
let org: GitHubOrg;
let moto: MotoServer;
let identity: IdentityServer;
/** In front of moto for the standards' own STS calls (GetCallerIdentity): counted, and failed on demand. */
let proxy: FaultProxy;
const isIdentity = (r: ProxiedRequest) => r.body.includes('Action=GetCallerIdentity');
let dir: string;

interface Outcome {
  verdict: string;
  summary: string;
  findings: Array<{ rule: string; title: string; message: string; severity: string }>;
  decisions: Array<{ subject: string; decision: string; reason: string }>;
  actions: Array<{ kind: string; target: string }>;
  data: { repositories: Array<{ repository: string; incomplete?: string[] }>; accounts: Array<{ id: string; verified: boolean }> };
}

/** A policy with the given accounts (YAML flow items) and roles, written to its own file. */
function policyFile(name: string, accounts: string[], options: { roles?: Record<string, string>; skip?: boolean; single?: string } = {}): string {
  const roles = options.roles ?? { [PROD]: role(PROD), [STAGE]: role(STAGE) };
  writeFileSync(
    join(dir, name),
    `version: 1
workflows:
  schedule: [standards]
auth:
  aws:
    sts_endpoint: "${moto.url}"
    roles: { ${Object.entries(roles).map(([a, r]) => `"${a}": "${r}"`).join(', ')} }
modules:
  standards:
    org: acme
    tiers:
      internal:
        infra: { orphans: true${options.skip === undefined ? '' : `, pre_release_skips_production: ${options.skip}`} }
    infra:
      terraform_state: "states/{project}.json"
      aws:
        regions: [us-east-1]
        endpoint: "${moto.url}"
        sts: { endpoint: "${proxy.url}" }
${options.single ? `        account: "${options.single}"\n` : `        accounts:\n${accounts.map((a) => `          - ${a}\n`).join('')}`}`,
  );
  return name;
}

async function scan(policy: string): Promise<{ code: number; outcome: Outcome; stdout: string; stderr: string }> {
  const result = await runCli(['standards', 'scan', '--policy', policy, '--domain', 'infra', '--dry-run', '--format', 'json'], {
    cwd: dir,
    env: {
      GITHUB_TOKEN: server.token,
      GITHUB_API_URL: server.url,
      GITHUB_REPOSITORY: 'acme/platform',
      ACTIONS_ID_TOKEN_REQUEST_URL: `${identity.url}/actions/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: identity.requestToken,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  });
  let outcome: Outcome;
  try {
    outcome = (JSON.parse(result.stdout) as { steps: Array<{ outcome: Outcome }> }).steps[0]!.outcome;
  } catch {
    throw new Error(`no JSON report (exit ${result.code}): ${result.stdout}${result.stderr}`);
  }
  return { ...result, outcome };
}

/** A bucket tagged project=<project> created in `account` (through a session of a role there). */
async function bucketIn(account: string, bucket: string, project: string): Promise<void> {
  const sts = new STSClient({ region: 'us-east-1', endpoint: moto.url, credentials: moto.credentials });
  const c = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/setup`, RoleSessionName: 'test-setup' }))).Credentials!;
  const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: 'project', Value: project }] } }));
}

const infraFindings = (o: Outcome, repo: string) => o.findings.filter((f) => f.title.startsWith(`${repo}:`) && f.rule.startsWith('infra.'));

beforeAll(async () => {
  server = await new GitHubServer().start();
  moto = await new MotoServer({ accountFromCredentials: true }).start();
  identity = await new IdentityServer().start();
  proxy = await new FaultProxy(moto.url).start();
  org = new GitHubOrg(server, 'acme');
  dir = mkdtempSync(join(tmpdir(), 'dg-standards-accounts-'));
  mkdirSync(join(dir, 'states'));
  // preview's Terraform state manages nothing yet.
  writeFileSync(join(dir, 'states', 'preview.json'), JSON.stringify({ format_version: '1.0', values: { root_module: { resources: [] } } }));
  org.addRepo('platform', { 'README.md': 'runs the scans\n' });
  org.addRepo('preview', { 'repo-metadata.yaml': 'tier: internal\nstatus: pre-release\n' });
  org.addRepo('legacy', { 'repo-metadata.yaml': 'tier: internal\nstatus: deprecated\n' });
  await bucketIn(PROD, 'preview-prod-cache', 'preview');
  await bucketIn(PROD, 'legacy-prod-assets', 'legacy');
  await bucketIn(STAGE, 'legacy-stage-assets', 'legacy');
  await bucketIn(ELSEWHERE, 'legacy-elsewhere', 'legacy');
}, 60_000);

afterAll(async () => {
  await identity?.stop();
  await proxy?.stop();
  await server?.stop();
  await moto?.stop();
});

describe('standards infra across AWS accounts', () => {
  it('a pre-release project is not searched in the production account: no finding, a notice naming the account skipped', async () => {
    proxy.clear();
    const { code, outcome } = await scan(policyFile('skip.yaml', [`{ id: "${PROD}", production: true }`, `{ id: "${STAGE}" }`]));
    // preview and legacy are both searched in STAGE, legacy in PROD too: one identity check per account.
    expect(proxy.count(isIdentity)).toBe(2);
    expect(infraFindings(outcome, 'acme/preview')).toEqual([
      expect.objectContaining({ rule: 'infra.production-skipped', severity: 'notice', message: `status pre-release: production account ${PROD} not searched (tiers.internal.infra.pre_release_skips_production)` }),
    ]);
    expect(outcome.decisions.find((d) => d.subject === 'acme/preview')!.reason).toBe(`tier internal, status pre-release; production account ${PROD} not searched (pre-release, tiers.internal.infra.pre_release_skips_production)`);
    expect(outcome.actions.some((a) => a.target.startsWith('acme/preview'))).toBe(false);
    // legacy's findings make the run fail (exit 1), nothing is incomplete.
    expect(code).toBe(1);
    expect(outcome.data.accounts).toEqual(expect.arrayContaining([{ id: PROD, verified: true }, { id: STAGE, verified: true }]));
  });

  it('with pre_release_skips_production: false the production account is searched and its orphan is a finding naming it', async () => {
    const { outcome } = await scan(policyFile('noskip.yaml', [`{ id: "${PROD}", production: true }`, `{ id: "${STAGE}" }`], { skip: false }));
    const preview = infraFindings(outcome, 'acme/preview');
    expect(preview).toEqual([expect.objectContaining({ rule: 'infra.orphan', severity: 'error', title: `acme/preview: resources tagged project=preview (${PROD} us-east-1)` })]);
    expect(preview[0]!.message).toContain('arn:aws:s3:::preview-prod-cache');
    expect(outcome.actions).toContainEqual(expect.objectContaining({ kind: 'open issue', target: 'acme/preview drift:infra' }));
  });

  it('a deprecated project is searched in every account, production included: one finding per resource, each naming its own account', async () => {
    const { outcome } = await scan(policyFile('skip.yaml', [`{ id: "${PROD}", production: true }`, `{ id: "${STAGE}" }`]));
    const legacy = infraFindings(outcome, 'acme/legacy').map((f) => [f.title, /arn:aws:s3:::[a-z-]+/.exec(f.message)![0]]);
    expect(legacy.sort()).toEqual([
      [`acme/legacy: resources tagged project=legacy (${PROD} us-east-1)`, 'arn:aws:s3:::legacy-prod-assets'],
      [`acme/legacy: resources tagged project=legacy (${STAGE} us-east-1)`, 'arn:aws:s3:::legacy-stage-assets'],
    ]);
    // Each account's resources through its own role: account 444444444444's bucket is in neither.
    expect(JSON.stringify(outcome.findings)).not.toContain('legacy-elsewhere');
  });

  it('an account whose role answers another account id is not checked: incomplete (exit 3), nothing attributed to it, its issue left alone', async () => {
    const policy = policyFile('wrong.yaml', [`{ id: "${PROD}", production: true }`, `{ id: "${WRONG}" }`], { roles: { [PROD]: role(PROD), [WRONG]: role(ELSEWHERE) } });
    const { code, outcome } = await scan(policy);
    expect(code).toBe(3);
    expect(outcome.verdict).toBe('error');
    expect(outcome.data.accounts).toEqual(expect.arrayContaining([{ id: PROD, verified: true }, { id: WRONG, verified: false }]));
    const legacy = infraFindings(outcome, 'acme/legacy');
    expect(legacy.filter((f) => f.severity !== 'notice').map((f) => f.title)).toEqual([`acme/legacy: resources tagged project=legacy (${PROD} us-east-1)`]);
    expect(legacy).toContainEqual(expect.objectContaining({ rule: 'infra.account-not-checked', severity: 'notice', message: expect.stringContaining(`account ${WRONG} not checked: its credentials (auth.aws.roles["${WRONG}"] or the default role) belong to account ${ELSEWHERE} according to STS GetCallerIdentity`) }));
    expect(outcome.findings).toContainEqual(expect.objectContaining({ rule: 'standards.account-not-checked', severity: 'error', title: `AWS account ${WRONG}` }));
    expect(JSON.stringify(outcome.findings)).not.toContain('legacy-elsewhere');
    expect(outcome.data.repositories.find((r) => r.repository === 'acme/legacy')!.incomplete).toEqual(['infra']);
    expect(outcome.actions.some((a) => a.target === 'acme/legacy drift:infra')).toBe(false);
    // preview (pre-release, production skipped) is searched in the unproven account too: incomplete as well.
    expect(outcome.data.repositories.find((r) => r.repository === 'acme/preview')!.incomplete).toEqual(['infra']);
    expect(outcome.summary).toContain(`2 incomplete (AWS account ${WRONG} not checked)`);
  });

  it('the older single account still works: one account, not production, proven like the others and named in findings', async () => {
    proxy.clear();
    const { code, outcome } = await scan(policyFile('single.yaml', [], { single: PROD }));
    expect(code).toBe(1);
    expect(proxy.count(isIdentity)).toBe(1);
    expect(infraFindings(outcome, 'acme/legacy').map((f) => f.title)).toEqual([`acme/legacy: resources tagged project=legacy (${PROD} us-east-1)`]);
    // Not marked production: the pre-release project is searched in it.
    expect(infraFindings(outcome, 'acme/preview')).toEqual([expect.objectContaining({ rule: 'infra.orphan', title: `acme/preview: resources tagged project=preview (${PROD} us-east-1)` })]);
  });

  it('an account STS refuses to identify is not checked either: incomplete, the reason named', async () => {
    proxy.clear();
    proxy.inject({ match: isIdentity, status: 403, body: awsQueryError('AccessDenied', 'not authorized to perform sts:GetCallerIdentity'), times: 100 });
    const { code, outcome } = await scan(policyFile('skip.yaml', [`{ id: "${PROD}", production: true }`, `{ id: "${STAGE}" }`]));
    proxy.clear();
    expect(code).toBe(3);
    expect(outcome.findings.filter((f) => f.severity !== 'notice' && f.rule.startsWith('infra.'))).toEqual([]);
    expect(infraFindings(outcome, 'acme/legacy').map((f) => f.message)).toEqual([PROD, STAGE].map((a) => `account ${a} not checked: STS GetCallerIdentity failed: AccessDenied: not authorized to perform sts:GetCallerIdentity`));
    expect(outcome.data.accounts).toEqual(expect.arrayContaining([{ id: PROD, verified: false }, { id: STAGE, verified: false }]));
  });

  it('refuses a bad account id, a duplicate one, and account with accounts, each with policy.yaml:LINE:COL (exit 2)', async () => {
    const validate = async (name: string, accounts: string[], extra = '') => {
      writeFileSync(join(dir, name), `version: 1\nworkflows:\n  schedule: [standards]\nmodules:\n  standards:\n    org: acme\n    infra:\n      aws:\n        regions: [us-east-1]\n${extra}        accounts:\n${accounts.map((a) => `          - ${a}\n`).join('')}`);
      return runCli(['validate', '--policy', name], { cwd: dir });
    };
    const bad = await validate('bad-id.yaml', [`{ id: "${PROD}", production: true }`, '{ id: "12345" }', `{ id: "${STAGE}", regions: [] }`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad-id.yaml:12:19 modules.standards.infra.aws.accounts[1].id: expected a 12-digit AWS account id, got "12345"');
    expect(bad.stderr).toContain(`bad-id.yaml:13:44 modules.standards.infra.aws.accounts[2].regions: expected at least one region (leave regions out to use modules.standards.infra.aws.regions)`);
    const twice = await validate('twice.yaml', [`{ id: "${PROD}", production: true }`, `{ id: "${PROD}" }`], `        account: "${STAGE}"\n`);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain(`twice.yaml:13:19 modules.standards.infra.aws.accounts[1].id: account ${PROD} is listed twice`);
    expect(twice.stderr).toContain(`twice.yaml:10:18 modules.standards.infra.aws.account: set either account (one account, not production) or accounts, not both: move ${STAGE} into accounts as { id: "${STAGE}" }`);
    const good = await validate('good.yaml', [`{ id: "${PROD}", production: true }`, `{ id: "${STAGE}", regions: [eu-west-1, us-east-1] }`]);
    expect([good.code, good.stderr]).toEqual([0, '']);
  });
});
