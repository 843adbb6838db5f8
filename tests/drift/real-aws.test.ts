import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteBucketCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { MotoServer } from '../helpers/clouds/moto.ts';
import { awsProviderBlock, terraformCliEnv } from '../helpers/terraform-aws.ts';

// Real drift: the real terraform binary and hashicorp/aws provider (local mirror) against moto on
// loopback, changed out of band through the AWS APIs, read by the drift module.
const SECRET_BEFORE = 'initial-db-password-0001';
const SECRET_AFTER = 'rotated-by-hand-password-0002';

let moto: MotoServer;
let root: string;
let env: Record<string, string>;
let s3: S3Client;

/** One SSM call through moto's JSON protocol (moto accepts any signature). */
async function ssm(target: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${moto.url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AmazonSSM.${target}`,
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20261130/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`SSM ${target} answered ${res.status}: ${await res.text()}`);
}

const policy = (extra = '') => `version: 1
dry_run: true
audit: { dir: audit }
workflows:
  schedule: [drift]
modules:
  drift:
    plan_timeout: 5m
${extra}    stacks:
      - { name: app, dir: stack, environment: prod, region: us-east-1 }
`;

const drift = (extra = '') => {
  writeFileSync(join(root, 'policy.yaml'), policy(extra));
  return runCli(['run', '--event', 'schedule', '--format', 'json'], { cwd: root, env: { ...env, DRIFTGUARD_LOG_LEVEL: 'warn' } });
};

const findings = (stdout: string): string[] => (JSON.parse(stdout).steps[0].outcome.findings as Array<{ title: string; message: string }>).map((f) => `${f.title.replace(/^prod\/us-east-1\/app: /, '')}: ${f.message}`).sort();

beforeAll(async () => {
  moto = await new MotoServer().start();
  root = mkdtempSync(join(tmpdir(), 'dg-drift-aws-'));
  env = terraformCliEnv(join(root, 'tf'));
  const stack = join(root, 'stack');
  mkdirSync(join(stack, 'logs'), { recursive: true });
  writeFileSync(
    join(stack, 'main.tf'),
    `${awsProviderBlock(moto.url, { services: ['s3', 'sts', 'ssm'], backend: true })}
module "logs" {
  source = "./logs"
}

resource "aws_s3_bucket" "scratch" {
  bucket        = "dg-scratch"
  force_destroy = true
}

resource "aws_ssm_parameter" "db_password" {
  name  = "/app/db-password"
  type  = "SecureString"
  value = "${SECRET_BEFORE}"
  tags  = { Team = "data" }
}
`,
  );
  writeFileSync(
    join(stack, 'logs', 'main.tf'),
    `resource "aws_s3_bucket" "logs" {
  bucket = "dg-logs"
  tags = {
    Team                                = "platform"
    "kubernetes.io/role/internal-elb"   = "1"
  }
}
`,
  );
  const run = promisify(execFile);
  const options = { cwd: stack, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 };
  await run('terraform', ['init', '-input=false', '-no-color'], options);
  await run('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], options);
  s3 = new S3Client({ endpoint: moto.url, region: 'us-east-1', forcePathStyle: true, credentials: moto.credentials });
}, 600_000);

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('drift on a real refresh-only plan (terraform + hashicorp/aws + moto)', () => {
  it('a stack just applied is clean', async () => {
    const run = await drift();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(findings(run.stdout)).toEqual([]);
  }, 600_000);

  it('finds tag drift with "/" in keys in a module, a deleted resource and a sensitive change; ignore rules and the baseline hide only what they name', async () => {
    // Out of band: the module bucket's tags, the scratch bucket deleted, the password rotated.
    await s3.send(new PutBucketTaggingCommand({ Bucket: 'dg-logs', Tagging: { TagSet: [{ Key: 'Team', Value: 'platform' }, { Key: 'kubernetes.io/role/internal-elb', Value: '0' }, { Key: 'kubernetes.io/cluster/prod', Value: 'owned' }] } }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'dg-scratch' }));
    await ssm('PutParameter', { Name: '/app/db-password', Value: SECRET_AFTER, Type: 'SecureString', Overwrite: true });

    const run = await drift();
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(findings(run.stdout)).toEqual([
      'aws_s3_bucket.scratch: deleted outside Terraform',
      'aws_ssm_parameter.db_password: changed outside Terraform: value (sensitive), version',
      expect.stringMatching(/^module\.logs\.aws_s3_bucket\.logs: changed outside Terraform: .*tags\["kubernetes\.io\/cluster\/prod"\].*tags\["kubernetes\.io\/role\/internal-elb"\]/),
    ]);
    for (const out of [run.stdout, run.stderr, ...readFileSync(join(root, 'audit', JSON.parse(run.stdout).auditFile.split('/').at(-1)), 'utf8')]) {
      expect(out).not.toContain(SECRET_BEFORE);
      expect(out).not.toContain(SECRET_AFTER);
    }

    // An ignore rule on the Kubernetes tags (in tags and tags_all) hides them, not the password.
    const ignored = await drift('    ignore: [\'**.tags["kubernetes.io/*"]\', \'**.tags_all["kubernetes.io/*"]\', "aws_s3_bucket.scratch"]\n');
    expect(findings(ignored.stdout)).toEqual(['aws_ssm_parameter.db_password: changed outside Terraform: value (sensitive), version']);

    // The baseline accepts today's drift, attribute by attribute...
    writeFileSync(join(root, 'policy.yaml'), policy());
    const baseline = await runCli(['drift', 'baseline'], { cwd: root, env });
    expect(baseline.code, baseline.stdout + baseline.stderr).toBe(0);
    const rules = readFileSync(join(root, '.driftguard', 'drift-baseline.yaml'), 'utf8');
    expect(rules).toContain('module.logs.aws_s3_bucket.logs.tags["kubernetes.io/role/internal-elb"]');
    expect(rules).toContain('aws_ssm_parameter.db_password.value');
    expect(findings((await drift()).stdout)).toEqual([]);
    // ...so tomorrow's change of another attribute is still drift.
    await ssm('AddTagsToResource', { ResourceType: 'Parameter', ResourceId: '/app/db-password', Tags: [{ Key: 'Team', Value: 'someone-else' }] });
    const tomorrow = await drift();
    expect(tomorrow.code).toBe(1);
    expect(findings(tomorrow.stdout)).toEqual([expect.stringMatching(/^aws_ssm_parameter\.db_password: changed outside Terraform: tags\.Team/)]);
  }, 600_000);
});
