import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, HeadBucketCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultCloudClients } from '../../src/clouds.ts';
import { destroyEnvironment } from '../../modules/janitor/terraform.ts';
import { terraformPlace } from '../../modules/janitor/plan.ts';
import type { Resource } from '../../modules/janitor/types.ts';
import type { Target } from '../../modules/janitor/resources/index.ts';
import { JanitorConfig } from '../../modules/janitor/schema.ts';
import { runCli } from '../helpers/cli.ts';
import { IdentityServer } from '../helpers/clouds/identity.ts';
import { MotoServer } from '../helpers/clouds/moto.ts';
import { testDeps } from '../helpers/deps.ts';
import { FaultProxy } from '../helpers/fault-proxy.ts';
import { terraformCliEnv } from '../helpers/terraform-aws.ts';

// On a runner whose ambient AWS chain (a profile in ~/.aws, instance metadata, ...) belongs to
// another account, the janitor proves its account with the OIDC role; Terraform's destroy must act
// with that role's credentials too. moto keeps accounts apart by credentials, so which account
// Terraform acted in shows in what moto holds afterwards.
const ACCOUNT = '111111111111';
const OTHER = '222222222222';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/driftguard-janitor`;
const PAST = '1700000000';
const TAGS = [{ Key: 'dg-expires-at', Value: PAST }, { Key: 'dg-env', Value: 'pr-7' }];

let moto: MotoServer;
/** In front of moto for Terraform's provider only: records the key each request of Terraform's was signed with. */
let proxy: FaultProxy;
let identity: IdentityServer;
let root: string;
let cliEnv: Record<string, string>;

interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** A session in `account` from moto's STS (AssumeRole), as a runner's own tooling would hold. */
async function sessionIn(account: string): Promise<Session> {
  const sts = new STSClient({ region: 'us-east-1', endpoint: moto.url, credentials: moto.credentials, maxAttempts: 1 });
  const c = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/runner`, RoleSessionName: 'runner' }))).Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

const s3 = (credentials: Session) => new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true, credentials, maxAttempts: 1 });
const exists = (credentials: Session, bucket: string) => s3(credentials).send(new HeadBucketCommand({ Bucket: bucket })).then(() => true, () => false);

/** A Terraform root managing bucket dg-pr-7 with no credentials of its own in the provider block. */
function providerBlock(): string {
  return `terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  endpoints {
    s3  = ${JSON.stringify(proxy.url)}
    sts = ${JSON.stringify(proxy.url)}
  }
}

resource "aws_s3_bucket" "site" {
  bucket        = "dg-pr-7"
  force_destroy = true
  tags          = { "dg-expires-at" = "${PAST}", "dg-env" = "pr-7" }
}
`;
}

beforeAll(async () => {
  moto = await new MotoServer({ accountFromCredentials: true }).start();
  proxy = await new FaultProxy(moto.url).start();
  identity = await new IdentityServer().start();
});
afterAll(async () => {
  await proxy?.stop();
  await identity?.stop();
  await moto?.stop();
});

let own: Session;
let other: Session;
let home: string;


function policy(binary = 'terraform'): string {
  return `version: 1
dry_run: false
audit: { dir: audit }
auth:
  aws: { sts_endpoint: "${moto.url}" }
workflows:
  schedule: [janitor]
modules:
  janitor:
    terraform: { enabled: true, binary: "${binary}", workdir: "${root}/envs/{env}", timeout: 120s, lock_timeout: 1s }
    providers:
      aws:
        accounts: ["${ACCOUNT}"]
        regions: [us-east-1]
        resources: [s3_bucket]
        s3: { endpoint: "${moto.url}", force_path_style: true }
        sts: { endpoint: "${moto.url}" }
`;
}

/** Every file under `dir`, read as text. */
function readTree(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true }).map((f) => join(dir, String(f))).filter((f) => statSync(f).isFile()).map((f) => readFileSync(f, 'utf8')).join('\n');
}

describe('janitor phase 1 where OIDC is in use: Terraform acts with the proven account\'s OIDC credentials only', () => {
beforeEach(async () => {
  await moto.reset();
  root = mkdtempSync(join(tmpdir(), 'dg-tf-oidc-'));
  home = join(root, 'home');
  mkdirSync(join(home, '.aws'), { recursive: true });
  own = await sessionIn(ACCOUNT);
  other = await sessionIn(OTHER);
  // The environment, applied for real in the janitor's account.
  const dir = join(root, 'envs', 'pr-7');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.tf'), providerBlock());
  const tf = terraformCliEnv(join(root, 'tf'));
  const applyEnv: Record<string, string | undefined> = { ...process.env, ...tf, AWS_ACCESS_KEY_ID: own.accessKeyId, AWS_SECRET_ACCESS_KEY: own.secretAccessKey, AWS_SESSION_TOKEN: own.sessionToken, AWS_SHARED_CREDENTIALS_FILE: devNull, AWS_CONFIG_FILE: devNull, AWS_EC2_METADATA_DISABLED: 'true' };
  delete applyEnv.AWS_PROFILE;
  const run = promisify(execFile);
  await run('terraform', ['init', '-input=false', '-no-color'], { cwd: dir, env: applyEnv });
  await run('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: dir, env: applyEnv });
  expect(await exists(own, 'dg-pr-7')).toBe(true);
  // The other account holds an expired bucket of the same environment (moto shares bucket names
  // across accounts, so its name differs): it is outside the allowlist and must stay.
  await s3(other).send(new CreateBucketCommand({ Bucket: 'dg-pr-7-runner' }));
  await s3(other).send(new PutBucketTaggingCommand({ Bucket: 'dg-pr-7-runner', Tagging: { TagSet: TAGS } }));
  proxy.clear();
  // The runner's ambient chain: a profile of the other account (a session, so not refused as static).
  writeFileSync(join(home, '.aws', 'credentials'), `[runner]\naws_access_key_id = ${other.accessKeyId}\naws_secret_access_key = ${other.secretAccessKey}\naws_session_token = ${other.sessionToken}\n`);
  cliEnv = {
    GITHUB_ACTIONS: 'true',
    ACTIONS_ID_TOKEN_REQUEST_URL: `${identity.url}/actions/token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: identity.requestToken,
    AWS_ROLE_TO_ASSUME: ROLE,
    AWS_PROFILE: 'runner',
    HOME: home,
    TF_CLI_CONFIG_FILE: tf.TF_CLI_CONFIG_FILE!,
  };
});

afterEach(() => rmSync(root, { recursive: true, force: true }));
  it('with a poisoned ambient profile of another account, the real terraform destroys the environment in the proven account and leaves the other account alone', async () => {
    writeFileSync(join(root, 'policy.yaml'), policy());
    const { code, stdout, stderr } = await runCli(['janitor'], { cwd: root, env: cliEnv });
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toContain('1 resources destroyed');
    // Every call Terraform made was signed with one key: neither the runner profile's (the other
    // account) nor any other ambient one, but the OIDC session's.
    const keys = new Set(proxy.requests.map((r) => /Credential=([A-Z0-9]+)\//.exec(String(r.headers.authorization ?? ''))?.[1] ?? 'unsigned'));
    expect(proxy.requests.some((r) => r.method === 'DELETE')).toBe(true);
    expect(keys.size, [...keys].join(', ')).toBe(1);
    expect([...keys][0]).toMatch(/^ASIA/);
    expect(keys.has(other.accessKeyId)).toBe(false);
    expect(keys.has(own.accessKeyId)).toBe(false);
    // What moto holds: gone in the proven account, untouched in the other one.
    expect(await exists(own, 'dg-pr-7')).toBe(false);
    expect(await exists(other, 'dg-pr-7-runner')).toBe(true);
  }, 120_000);

  it('the session keys Terraform gets appear in no output, log line or audit artifact, even when Terraform prints them', async () => {
    // A stand-in around the real binary: records what it was given (outside everything DriftGuard
    // writes), and for `plan` prints the secrets in its error output, as a debug log might.
    const seen = join(root, 'seen');
    const wrapper = join(root, 'terraform-wrapper');
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n%s\\n' "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" > "${seen}"\nif [ "$1" = plan ]; then echo "Error: debug secret=$AWS_SECRET_ACCESS_KEY token=$AWS_SESSION_TOKEN" >&2; exit 1; fi\nexec terraform "$@"\n`);
    chmodSync(wrapper, 0o755);
    writeFileSync(join(root, 'policy.yaml'), policy(wrapper));
    const { code, stdout, stderr } = await runCli(['janitor', '--format', 'json'], { cwd: root, env: { ...cliEnv, DRIFTGUARD_LOG_LEVEL: 'debug' } });
    const [secret, token] = readFileSync(seen, 'utf8').split('\n');
    expect(secret, 'Terraform was given no secret key').toMatch(/.{20,}/);
    expect(token, 'Terraform was given no session token').toMatch(/.{20,}/);
    expect(secret).not.toBe(other.secretAccessKey);
    // Terraform failed with the secrets in its message: the janitor fell back to the API phase.
    expect(stdout).toContain('[REDACTED]');
    const written = [stdout, stderr, readTree(join(root, 'audit'))].join('\n');
    expect(written).not.toContain(secret!);
    expect(written).not.toContain(token!);
    expect(code, stdout + stderr).toBe(0);
    expect(await exists(other, 'dg-pr-7-runner')).toBe(true);
  }, 120_000);
});

describe('janitor phase 1 where OIDC is required but Terraform cannot have the credentials', () => {
  it('runs nothing and says to keep the environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-tf-keep-'));
    try {
      const ran = join(dir, 'ran');
      const fake = join(dir, 'terraform');
      writeFileSync(fake, `#!/bin/sh\ntouch "${ran}"\n`);
      chmodSync(fake, 0o755);
      mkdirSync(join(dir, 'envs', 'pr-9'), { recursive: true });
      const deps = testDeps({ env: { GITHUB_ACTIONS: 'true' }, cwd: dir });
      deps.clouds = defaultCloudClients(deps);
      const settings = JanitorConfig.parse({ terraform: { enabled: true, binary: fake, workdir: 'envs/{env}' } }).terraform;
      const outcome = await destroyEnvironment('pr-9', settings, deps, { check: async () => undefined }, { account: ACCOUNT, region: 'us-east-1' });
      expect(outcome).toMatchObject({ ok: false, keep: true });
      expect(!outcome.ok && outcome.reason).toMatch(new RegExp(`^no AWS credentials for Terraform from the OIDC exchange for account ${ACCOUNT}: no AWS role to assume for account ${ACCOUNT}: inside GitHub Actions AWS credentials come only from the OIDC exchange.*; terraform was not run and the environment's resources are kept$`));
      expect(existsSync(ran)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('which account an environment\'s Terraform acts in', () => {
  const bucket = (account: string, name: string) => {
    const resource: Resource = { provider: 'aws', type: 's3_bucket', id: name, name, account, region: 'us-east-1', tags: { 'dg-env': 'pr-8' } };
    // Only the account and region of a target are read here.
    const target = { provider: 'aws', account, region: 'us-east-1', type: 's3_bucket' } as unknown as Target;
    return { resource, target };
  };

  it('the proven account of its AWS resources, with their region', async () => {
    const deps = testDeps({ env: {} });
    expect(await terraformPlace('pr-8', [bucket(ACCOUNT, 'dg-a'), bucket(ACCOUNT, 'dg-b')], deps)).toEqual({ aws: { account: ACCOUNT, region: 'us-east-1' } });
    expect(await terraformPlace('pr-9', [bucket(ACCOUNT, 'dg-a')], deps)).toEqual({});
  });

  it('several accounts: refused where OIDC is in use (one run, one account\'s credentials), the standard chain as before without it', async () => {
    const both = [bucket(ACCOUNT, 'dg-a'), bucket(OTHER, 'dg-b')];
    const inActions = testDeps({ env: { GITHUB_ACTIONS: 'true', AWS_ROLE_TO_ASSUME: ROLE } });
    inActions.clouds = defaultCloudClients(inActions);
    expect(await terraformPlace('pr-8', both, inActions)).toEqual({ refusal: `its AWS resources are in several accounts (${ACCOUNT}, ${OTHER}), and one Terraform run acts with the OIDC credentials of one account` });
    const local = testDeps({ env: {} });
    local.clouds = defaultCloudClients(local);
    expect(await terraformPlace('pr-8', both, local)).toEqual({});
  });
});
