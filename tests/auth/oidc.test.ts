import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { federatedAzureCredential } from '../../src/auth/azure.ts';
import { defaultCloudClients } from '../../src/clouds.ts';
import { runCli } from '../helpers/cli.ts';
import { AwsQueryServer } from '../helpers/clouds/aws-query.ts';
import { AzureServer } from '../helpers/clouds/azure.ts';
import { GcsServer } from '../helpers/clouds/gcs.ts';
import { IdentityServer } from '../helpers/clouds/identity.ts';
import { S3Server } from '../helpers/clouds/s3.ts';
import { testDeps } from '../helpers/deps.ts';
import { awsProviders, S3RVER_CREDENTIALS } from '../helpers/janitor.ts';

const ROLE = 'arn:aws:iam::111111111111:role/driftguard-janitor';
let identity: IdentityServer;
let s3: S3Server;
let aws: AwsQueryServer;
let dir: string;

beforeAll(async () => {
  identity = await new IdentityServer().start();
  s3 = await new S3Server().start();
  aws = await new AwsQueryServer().start();
  dir = mkdtempSync(join(tmpdir(), 'dg-oidc-'));
  const admin = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  await admin.send(new CreateBucketCommand({ Bucket: 'dg-gone-soon' }));
  await admin.send(new PutBucketTaggingCommand({ Bucket: 'dg-gone-soon', Tagging: { TagSet: [{ Key: 'dg-expires-at', Value: '1700000000' }] } }));
  aws.instances.set('i-0old', { id: 'i-0old', state: 'running', launchTime: '2026-01-01T00:00:00.000Z', tags: { Name: 'dg-runner' } });
  writeFileSync(
    join(dir, 'policy.yaml'),
    `version: 1
dry_run: false
audit: { dir: audit }
workflows:
  schedule: [janitor]
auth:
  aws: { sts_endpoint: "${aws.url}", session_duration: 15m }
modules:
  janitor:
    terraform: { enabled: false }
${awsProviders({ s3: s3.url, sts: aws.url, ec2: aws.url })}`,
  );
});
afterAll(async () => {
  await identity.stop();
  await s3.stop();
  await aws.stop();
});

const actionsEnv = () => ({
  GITHUB_ACTIONS: 'true',
  GITHUB_RUN_ID: '4242',
  ACTIONS_ID_TOKEN_REQUEST_URL: `${identity.url}/actions/token?api-version=2.0`,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: identity.requestToken,
  AWS_EC2_METADATA_DISABLED: 'true',
});

describe('OIDC-only cloud auth', () => {
  it('AWS: exchanges the job token with STS AssumeRoleWithWebIdentity and runs on the short session', async () => {
    aws.webIdentity.token = identity.tokenFor('sts.amazonaws.com');
    aws.webIdentity.roles.set(ROLE, '111111111111');
    // s3rver verifies every signature: only the STS session's keys can sign these requests.
    s3.addCredentials(aws.webIdentity.session.accessKeyId, aws.webIdentity.session.secretAccessKey);
    const { code, stdout, stderr } = await runCli(['janitor', '--log-level', 'debug'], { cwd: dir, env: { ...actionsEnv(), AWS_ROLE_TO_ASSUME: ROLE } });
    expect(code, stdout).toBe(0);
    expect(stdout).toContain('2 of 2 eligible resources deleted');
    const assume = aws.calls.find((c) => c.Action === 'AssumeRoleWithWebIdentity')!;
    expect(assume).toMatchObject({ RoleArn: ROLE, RoleSessionName: 'driftguard-4242-1', DurationSeconds: '900', WebIdentityToken: identity.tokenFor('sts.amazonaws.com') });
    const session = aws.webIdentity.session.sessionToken;
    // Every signed call (S3, EC2, STS GetCallerIdentity) carried the session token.
    const janitorCalls = s3.requests.slice(2);
    expect(janitorCalls.length).toBeGreaterThan(3);
    expect(janitorCalls.every((r) => r.securityToken === session)).toBe(true);
    expect(janitorCalls.some((r) => r.method === 'DELETE')).toBe(true);
    expect(aws.calls.map((c, i) => [c.Action, aws.securityTokens[i]]).filter(([a]) => a !== 'AssumeRoleWithWebIdentity').every(([, t]) => t === session)).toBe(true);
    const audit = readdirSync(join(dir, 'audit')).map((f) => readFileSync(join(dir, 'audit', f), 'utf8')).join('\n');
    for (const secret of [identity.requestToken, identity.tokenFor('sts.amazonaws.com'), session, aws.webIdentity.session.secretAccessKey]) {
      expect(stdout).not.toContain(secret);
      expect(stderr).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
    expect(stderr).toContain('assumed AWS role with the GitHub OIDC token');
  });

  it('refuses static keys inside GitHub Actions with exit 2 and says how to set up OIDC', async () => {
    const { code, stderr } = await runCli(['janitor'], { cwd: dir, env: { ...actionsEnv(), AWS_ACCESS_KEY_ID: 'AKIAABCDEFGHIJKLMNOP', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret-key-000', AZURE_CLIENT_SECRET: 'azure-client-secret-0000' } });
    expect(code).toBe(2);
    expect(stderr).toContain('static cloud credentials are refused here (auth.require_oidc is on inside GitHub Actions)');
    expect(stderr).toContain('AWS_ACCESS_KEY_ID holds a long-lived access key: set AWS_ROLE_TO_ASSUME');
    expect(stderr).toContain('AZURE_CLIENT_SECRET is a client secret: add a federated credential');
    expect(stderr).not.toContain('not-a-real-secret-key-000');
  });

  it('outside Actions the standard credential chain works for local use', async () => {
    const { code } = await runCli(['janitor'], { cwd: dir, env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_EC2_METADATA_DISABLED: 'true' } });
    expect(code).toBe(0);
  });

  it('Azure: a ClientAssertionCredential fed by the job token gets an Entra token that ARM accepts', async () => {
    const azure = await new AzureServer().start();
    try {
      azure.acceptedToken = identity.entraAccessToken;
      azure.add('11111111-2222-3333-4444-555555555555', { name: 'dg-a', location: 'westeurope', tags: {} });
      const deps = testDeps({ env: { ...actionsEnv(), AZURE_CLIENT_ID: '00000000-aaaa-bbbb-cccc-000000000001', AZURE_TENANT_ID: '00000000-aaaa-bbbb-cccc-000000000002' } });
      const { createDefaultHttpClient } = await import('@azure/core-rest-pipeline');
      const inner = createDefaultHttpClient();
      const credential = await federatedAzureCredential(deps, {
        authorityHost: 'https://login.test',
        disableInstanceDiscovery: true,
        httpClient: { sendRequest: (request: { url: string; allowInsecureConnection?: boolean }) => ((request.url = request.url.replace('https://login.test', identity.url)), (request.allowInsecureConnection = true), inner.sendRequest(request as never)) },
      });
      const token = await credential.getToken('https://management.azure.com/.default');
      expect(token?.token).toBe(identity.entraAccessToken);
      const tokenCall = identity.calls.find((c) => c.path.endsWith('/oauth2/v2.0/token'))!;
      expect(new URLSearchParams(tokenCall.body).get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      const { ResourceManagementClient } = await import('@azure/arm-resources');
      const arm = new ResourceManagementClient(credential, '11111111-2222-3333-4444-555555555555', {
        endpoint: 'https://management.azure.test',
        httpClient: { sendRequest: (request) => ((request.url = request.url.replace('https://management.azure.test', azure.url)), (request.allowInsecureConnection = true), inner.sendRequest(request)) },
      });
      const names: string[] = [];
      for await (const g of arm.resourceGroups.list()) names.push(g.name!);
      expect(names).toEqual(['dg-a']);
      expect(deps.redactor.scrub(`x ${identity.entraAccessToken} ${identity.tokenFor('api://AzureADTokenExchange')}`)).toBe('x [REDACTED] [REDACTED]');
    } finally {
      await azure.stop();
    }
  });

  it('GCP: workload identity federation through Google STS and IAM Credentials, used by the Storage client', async () => {
    const gcs = await new GcsServer().start();
    try {
      gcs.add({ name: 'dg-cache', project: 'dg-sandbox-1', location: 'EU', timeCreated: '2026-11-01T00:00:00.000Z', labels: {} });
      const deps = testDeps({
        env: { ...actionsEnv(), GCP_WORKLOAD_IDENTITY_PROVIDER: 'projects/123456/locations/global/workloadIdentityPools/github/providers/acme', GCP_SERVICE_ACCOUNT: 'driftguard@dg-sandbox-1.iam.gserviceaccount.com' },
      });
      const clouds = defaultCloudClients(deps, { require_oidc: 'auto', aws: { roles: {}, session_duration: '15m' }, azure: {}, gcp: { token_url: `${identity.url}/v1/token`, iam_credentials_url: identity.url } });
      const storage = await clouds.gcs({ project: 'dg-sandbox-1', endpoint: gcs.url });
      const [buckets] = await storage.getBuckets();
      expect(buckets.map((b) => b.name)).toEqual(['dg-cache']);
      expect(gcs.requests.every((r) => r.authorization === `Bearer ${identity.googleServiceAccountToken}`)).toBe(true);
      const sts = identity.calls.find((c) => c.path === '/v1/token')!;
      expect(new URLSearchParams(sts.body).get('audience')).toBe('//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/github/providers/acme');
      expect(deps.redactor.scrub(identity.googleServiceAccountToken)).toBe('[REDACTED]');
    } finally {
      await gcs.stop();
    }
  });
});
