import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultCloudClients } from '../../src/clouds.ts';
import type { AuthSettings } from '../../src/policy/schema.ts';
import { runCli } from '../helpers/cli.ts';
import { IdentityServer } from '../helpers/clouds/identity.ts';
import { MotoServer } from '../helpers/clouds/moto.ts';
import { testDeps } from '../helpers/deps.ts';
import { awsQueryError, FaultProxy, type ProxiedRequest } from '../helpers/fault-proxy.ts';

// Inside GitHub Actions, cloud credentials come from the OIDC exchange or not at all: every place
// the SDKs' default chains look is tried here with a working credential, against moto_server
// (which accepts any key) behind a counting proxy, so using the credential would delete the bucket.
const ROLE = 'arn:aws:iam::123456789012:role/driftguard-janitor';
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
let moto: MotoServer;
let proxy: FaultProxy;
let identity: IdentityServer;
let metadata: Server;
let metadataUrl: string;
const metadataHits: string[] = [];
let admin: S3Client;

/** Container credentials and EC2 instance metadata (IMDSv2) on loopback, both handing out working keys. */
function startMetadata(): Promise<void> {
  metadata = createServer((req, res) => {
    metadataHits.push(`${req.method} ${req.url}`);
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const creds = { AccessKeyId: 'testing', SecretAccessKey: 'testing', Token: 'ambient-session-token-5d1e', Expiration: new Date(Date.now() + 3_600_000).toISOString() };
    if (req.url === '/container-credentials') return json(creds);
    if (req.url === '/latest/api/token' && req.method === 'PUT') return res.writeHead(200, { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' }).end('imds-token');
    if (req.url === '/latest/meta-data/iam/security-credentials/' || req.url === '/latest/meta-data/iam/security-credentials') return res.writeHead(200).end('runner-role');
    if (req.url?.startsWith('/latest/meta-data/iam/security-credentials/runner-role')) return json({ Code: 'Success', Type: 'AWS-HMAC', LastUpdated: new Date().toISOString(), ...creds });
    res.writeHead(404).end();
  });
  return new Promise((resolve) => metadata.listen(0, '127.0.0.1', () => {
    metadataUrl = `http://127.0.0.1:${(metadata.address() as AddressInfo).port}`;
    resolve();
  }));
}

beforeAll(async () => {
  moto = await new MotoServer().start();
  proxy = await new FaultProxy(moto.url).start();
  identity = await new IdentityServer().start();
  await startMetadata();
  admin = new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true, credentials: moto.credentials });
});
afterAll(async () => {
  await proxy?.stop();
  await identity?.stop();
  await new Promise<void>((resolve) => (metadata ? metadata.close(() => resolve()) : resolve()));
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  proxy.clear();
  metadataHits.length = 0;
  await admin.send(new CreateBucketCommand({ Bucket: 'dg-expired' }));
  await admin.send(new PutBucketTaggingCommand({ Bucket: 'dg-expired', Tagging: { TagSet: [{ Key: 'dg-expires-at', Value: '1700000000' }] } }));
});

/** A working directory with a policy (janitor on moto through the proxy) and an empty home. */
function workspace(auth = ''): { dir: string; home: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dg-oidc-only-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  writeFileSync(
    join(dir, 'policy.yaml'),
    `version: 1
dry_run: false
audit: { dir: audit }
workflows:
  schedule: [janitor]
${auth}modules:
  janitor:
    terraform: { enabled: false }
    providers:
      aws:
        accounts: ["${moto.account}"]
        regions: [us-east-1]
        resources: [s3_bucket]
        s3: { endpoint: "${proxy.url}", force_path_style: true }
        sts: { endpoint: "${proxy.url}" }
`,
  );
  return { dir, home };
}

const bucketExists = () => admin.send(new HeadBucketCommand({ Bucket: 'dg-expired' })).then(() => true, () => false);

describe('inside GitHub Actions: the OIDC exchange or nothing', () => {
  it('a role configured but no ACTIONS_ID_TOKEN_REQUEST_URL: DriftGuard says to grant id-token: write, exit 2, no cloud call', async () => {
    const { dir, home } = workspace();
    const { code, stdout, stderr } = await runCli(['janitor'], { cwd: dir, env: { GITHUB_ACTIONS: 'true', HOME: home, AWS_ROLE_TO_ASSUME: ROLE, AWS_EC2_METADATA_DISABLED: 'true' } });
    expect(code, stdout + stderr).toBe(2);
    expect(stderr).toContain(`AWS role ${ROLE} is set up, but the job has no GitHub OIDC token to exchange: give the job \`permissions: id-token: write\` (ACTIONS_ID_TOKEN_REQUEST_URL is not set)`);
    expect(stderr).not.toContain('Could not load credentials');
    expect(proxy.count()).toBe(0);
  });

  const credentialsFile = `[default]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`;
  const places: Array<[string, (home: string, dir: string) => Record<string, string>, (home: string) => string]> = [
    ['a static key in ~/.aws/credentials', (home) => (mkdirSync(join(home, '.aws')), writeFileSync(join(home, '.aws', 'credentials'), credentialsFile), {}), (home) => `${home}/.aws/credentials [default] (the AWS shared credentials file) holds a long-lived access key`],
    ['a static key in the shared config, under a profile', (home) => (mkdirSync(join(home, '.aws')), writeFileSync(join(home, '.aws', 'config'), `[profile ci]\nregion = us-east-1\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`), { AWS_PROFILE: 'ci' }), (home) => `${home}/.aws/config [profile ci] (the AWS shared config file) holds a long-lived access key`],
    ['a key file named by AWS_SHARED_CREDENTIALS_FILE', (_home, dir) => (writeFileSync(join(dir, 'keys.ini'), credentialsFile), { AWS_SHARED_CREDENTIALS_FILE: join(dir, 'keys.ini') }), () => '[default] (the AWS shared credentials file, from AWS_SHARED_CREDENTIALS_FILE) holds a long-lived access key'],
    [
      'process credentials (credential_process)',
      (home, dir) => {
        const script = join(dir, 'creds.sh');
        writeFileSync(script, `#!/bin/sh\necho '{"Version": 1, "AccessKeyId": "testing", "SecretAccessKey": "testing"}'\n`);
        chmodSync(script, 0o755);
        mkdirSync(join(home, '.aws'));
        writeFileSync(join(home, '.aws', 'config'), `[default]\ncredential_process = ${script}\n`);
        return {};
      },
      (home) => `${home}/.aws/config [default] (the AWS shared config file) runs credential_process (process credentials)`,
    ],
    ['AWS_ACCESS_KEY_ID in the environment', () => ({ AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET }), () => 'AWS_ACCESS_KEY_ID holds a long-lived access key'],
    [
      "gcloud's application default credentials (a user refresh token)",
      (home) => {
        mkdirSync(join(home, '.config', 'gcloud'), { recursive: true });
        writeFileSync(join(home, '.config', 'gcloud', 'application_default_credentials.json'), JSON.stringify({ type: 'authorized_user', client_id: 'x.apps.googleusercontent.com', client_secret: 'd-FL95Q19q7MQmFpd7hHD0Ty', refresh_token: '1//0refresh-token-not-real' }));
        return { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_SESSION_TOKEN: 'short-lived' };
      },
      (home) => `${home}/.config/gcloud/application_default_credentials.json (gcloud application default credentials), a user's long-lived refresh token`,
    ],
  ];

  it.each(places)('%s: refused with exit 2, naming where it was found; nothing is called or deleted', async (_name, plant, where) => {
    const { dir, home } = workspace();
    const extra = plant(home, dir);
    const { code, stdout, stderr } = await runCli(['janitor'], { cwd: dir, env: { GITHUB_ACTIONS: 'true', HOME: home, AWS_EC2_METADATA_DISABLED: 'true', ...extra } });
    expect(code, stdout + stderr).toBe(2);
    expect(stderr).toContain('static cloud credentials are refused here (auth.require_oidc is on inside GitHub Actions):');
    expect(stderr).toContain(where(home));
    expect(stderr + stdout).not.toContain(SECRET);
    expect(stderr + stdout).not.toContain('1//0refresh-token-not-real');
    expect(proxy.count()).toBe(0);
    expect(await bucketExists()).toBe(true);
  });

  it('a static key and a role without a token: both are named in one refusal', async () => {
    const { dir, home } = workspace(`auth:\n  aws: { role_arn: "${ROLE}" }\n`);
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'credentials'), credentialsFile);
    const { code, stderr } = await runCli(['janitor'], { cwd: dir, env: { GITHUB_ACTIONS: 'true', HOME: home, AWS_EC2_METADATA_DISABLED: 'true' } });
    expect(code).toBe(2);
    expect(stderr).toContain(`${home}/.aws/credentials [default]`);
    expect(stderr).toContain(`AWS role ${ROLE} is set up, but the job has no GitHub OIDC token to exchange`);
  });

  it.each([
    ['container credentials', { AWS_CONTAINER_CREDENTIALS_FULL_URI: '' }, 'the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI)'],
    ['instance metadata', { AWS_EC2_METADATA_SERVICE_ENDPOINT: '' }, 'instance metadata'],
  ])('%s are never asked, even with a token and no role: the janitor stops, saying why', async (_name, variables, named) => {
    const { dir, home } = workspace();
    const env: Record<string, string> = { GITHUB_ACTIONS: 'true', HOME: home, ACTIONS_ID_TOKEN_REQUEST_URL: `${identity.url}/actions/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: identity.requestToken };
    for (const key of Object.keys(variables)) env[key] = key === 'AWS_CONTAINER_CREDENTIALS_FULL_URI' ? `${metadataUrl}/container-credentials` : metadataUrl;
    if (!('AWS_EC2_METADATA_SERVICE_ENDPOINT' in variables)) env.AWS_EC2_METADATA_DISABLED = 'true';
    const { code, stdout, stderr } = await runCli(['janitor'], { cwd: dir, env });
    expect(code, stdout + stderr).toBe(3);
    expect(stdout + stderr).toContain(`no AWS role to assume for account ${moto.account}: inside GitHub Actions AWS credentials come only from the OIDC exchange, never from`);
    expect(stdout + stderr).toContain(named);
    expect(metadataHits).toEqual([]);
    expect(proxy.count()).toBe(0);
    expect(await bucketExists()).toBe(true);
  });

  it('Azure and GCP without federation are refused rather than handed to their default chains', async () => {
    const deps = testDeps({ env: { GITHUB_ACTIONS: 'true', AZURE_CLIENT_ID: '00000000-aaaa-bbbb-cccc-000000000001' } });
    const clouds = defaultCloudClients(deps);
    await expect(clouds.azureResources({ subscription: '11111111-2222-3333-4444-555555555555' })).rejects.toMatchObject({ code: 'auth_refused', message: expect.stringContaining('Azure is not set up for OIDC: inside GitHub Actions Azure credentials come only from the OIDC exchange') });
    await expect(clouds.gcs({ project: 'dg-sandbox-1' })).rejects.toMatchObject({ code: 'auth_refused', message: expect.stringContaining('GCP is not set up for OIDC') });
  });

  it('STS AssumeRoleWithWebIdentity answering 400 IDPCommunicationError twice: the exchange is retried and succeeds', async () => {
    const isExchange = (r: ProxiedRequest) => r.body.includes('Action=AssumeRoleWithWebIdentity');
    proxy.inject({ match: isExchange, status: 400, body: awsQueryError('IDPCommunicationError', 'Couldn\'t retrieve verification key from your identity provider'), times: 2 });
    const deps = testDeps({ env: { GITHUB_ACTIONS: 'true', ACTIONS_ID_TOKEN_REQUEST_URL: `${identity.url}/actions/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: identity.requestToken, AWS_ROLE_TO_ASSUME: ROLE } });
    const auth: AuthSettings = { require_oidc: 'auto', aws: { roles: {}, session_duration: '15m', sts_endpoint: proxy.url }, azure: {}, gcp: {} };
    const account = await defaultCloudClients(deps, auth).awsAccount({ region: 'us-east-1', endpoint: proxy.url });
    expect(account).toBe('123456789012');
    expect(proxy.count(isExchange)).toBe(3);
    expect(proxy.requests.filter((r) => !isExchange(r)).every((r) => /x-amz-security-token/i.test(JSON.stringify(r.headers)))).toBe(true);
  });
});

describe('outside GitHub Actions, and the policy saying otherwise', () => {
  it('a developer key in ~/.aws/credentials works locally, as before', async () => {
    const { dir, home } = workspace();
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'credentials'), credentialsFileFor('testing'));
    const { code, stdout, stderr } = await runCli(['janitor'], { cwd: dir, env: { HOME: home, AWS_EC2_METADATA_DISABLED: 'true' } });
    expect(code, stdout + stderr).toBe(0);
    expect(await bucketExists()).toBe(false);
  });

  it('require_oidc: always refuses the same key outside Actions; never lets it through inside', async () => {
    const strict = workspace('auth: { require_oidc: always }\n');
    mkdirSync(join(strict.home, '.aws'));
    writeFileSync(join(strict.home, '.aws', 'credentials'), credentialsFileFor('testing'));
    const refused = await runCli(['janitor'], { cwd: strict.dir, env: { HOME: strict.home, AWS_EC2_METADATA_DISABLED: 'true' } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('static cloud credentials are refused here (auth.require_oidc is always):');
    expect(await bucketExists()).toBe(true);
    const lax = workspace('auth: { require_oidc: never }\n');
    mkdirSync(join(lax.home, '.aws'));
    writeFileSync(join(lax.home, '.aws', 'credentials'), credentialsFileFor('testing'));
    const allowed = await runCli(['janitor'], { cwd: lax.dir, env: { GITHUB_ACTIONS: 'true', HOME: lax.home, AWS_EC2_METADATA_DISABLED: 'true' } });
    expect(allowed.code, allowed.stdout + allowed.stderr).toBe(0);
    expect(await bucketExists()).toBe(false);
  });
});

function credentialsFileFor(key: string): string {
  return `[default]\naws_access_key_id = ${key}\naws_secret_access_key = ${key}\n`;
}

describe('validate: auth settings outside their documented bounds', () => {
  const validate = (auth: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-auth-bounds-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, `version: 1\nauth:\n${auth}`);
    return runCli(['validate', '--policy', file]).then((r) => ({ ...r, file }));
  };

  it.each([
    ['14m', 'a session shorter than STS allows'],
    ['13h', 'a session longer than STS allows'],
    ['899s', 'one second under 15 minutes'],
  ])('session_duration %s (%s) is refused with file:line:col', async (value) => {
    const { code, stderr, file } = await validate(`  aws:\n    session_duration: ${value}\n`);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file}:4:23 auth.aws.session_duration: expected a duration from 15m to 12h (STS AssumeRoleWithWebIdentity accepts 900 to 43200 seconds; the role's own maximum session duration may be lower), got "${value}"`);
  });

  it('the bounds themselves are accepted', async () => {
    for (const value of ['15m', '900s', '12h', '1h30m']) expect((await validate(`  aws:\n    session_duration: ${value}\n`)).code, value).toBe(0);
  });

  it('a role name over 64 characters and an http Entra authority are refused with file:line:col', async () => {
    const long = `arn:aws:iam::111111111111:role/${'r'.repeat(65)}`;
    const { code, stderr, file } = await validate(`  aws:\n    roles: { "222222222222": "${long}" }\n  azure:\n    authority_host: http://login.example.test\n`);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file}:4:30 auth.aws.roles.222222222222: expected an IAM role name of 1 to 64 characters`);
    expect(stderr).toContain(`${file}:6:21 auth.azure.authority_host: expected an https URL (Entra ID authorities are https only), got "http://login.example.test"`);
  });
});
