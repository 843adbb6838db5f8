import { CreateBucketCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mapLimit } from '../../src/limit.ts';
import { AwsQueryServer } from '../helpers/clouds/aws-query.ts';
import { S3Server } from '../helpers/clouds/s3.ts';
import { EC2Client } from '@aws-sdk/client-ec2';
import { awsProviders, janitorStep, runJanitor, S3RVER_CREDENTIALS, testClouds } from '../helpers/janitor.ts';

let s3: S3Server;
let aws: AwsQueryServer;
const NOW = new Date('2026-11-25T12:00:00Z');
const PAST = String(Math.floor(Date.parse('2026-11-20T00:00:00Z') / 1000));

beforeEach(async () => {
  s3 = await new S3Server().start();
  aws = await new AwsQueryServer().start();
});
afterEach(async () => {
  await s3.stop();
  await aws.stop();
});

describe('janitor: what a long live run says while it works, and at the end', () => {
  it('logs progress at every tenth of the deletions and keeps the seen / kept / skipped / deleted counts in its summary', async () => {
    const client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: S3RVER_CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED' });
    const buckets: Array<[string, Record<string, string>]> = [
      ...Array.from({ length: 30 }, (_, i): [string, Record<string, string>] => [`dg-old-${String(i).padStart(2, '0')}`, { 'dg-expires-at': PAST }]),
      ['dg-kept', { 'dg-expires-at': PAST, 'dg-protected': 'true' }],
      ['dg-odd', { 'dg-expires-at': 'soon' }],
      ['team-x', {}],
    ];
    await mapLimit(buckets, 8, async ([name, tags]) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
      await client.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }));
    });
    const logs: string[] = [];
    const result = await runJanitor(
      `version: 1
dry_run: false
workflows: { schedule: [janitor] }
modules:
  janitor:
    max_deletions: 100
    terraform: { enabled: false }
${awsProviders({ s3: s3.url, sts: aws.url })}`,
      { now: NOW, logs },
    );
    expect(result.exitCode).toBe(0);
    expect(janitorStep(result).outcome.summary).toBe('30 of 30 eligible resources deleted; 33 resources seen, 30 expired and eligible, 3 kept (1 skipped in doubt)');
    const progress = logs.map((l) => JSON.parse(l) as { msg: string; handled?: number; total?: number; deleted?: number }).filter((l) => l.msg.startsWith('phase 2: '));
    expect(progress.map((p) => p.handled)).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
    expect(progress.at(-1)).toMatchObject({ total: 30, deleted: 30, msg: 'phase 2: 30 of 30 handled (30 deleted, 0 already gone, 0 skipped, 0 refused, 0 failed)' });
  });

  it('a failure names the operation and the state it left', async () => {
    aws.instances.set('i-0aaa', { id: 'i-0aaa', state: 'running', launchTime: '2026-11-20T00:00:00.000Z', tags: { Name: 'dg-runner' } });
    // The fresh read of one instance (DescribeInstances by id) is refused; the listing works.
    const clouds = testClouds({
      async ec2({ region, endpoint }) {
        const client = new EC2Client({ region, endpoint, credentials: S3RVER_CREDENTIALS, maxAttempts: 1 });
        client.middlewareStack.add(
          (next, context) => async (args) => {
            if (context.commandName === 'DescribeInstancesCommand' && (args.input as { InstanceIds?: string[] }).InstanceIds) {
              throw Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } });
            }
            return next(args);
          },
          { step: 'initialize' },
        );
        return client;
      },
    });
    const result = await runJanitor(
      `version: 1
dry_run: false
workflows: { schedule: [janitor] }
modules:
  janitor:
    terraform: { enabled: false }
${awsProviders({ s3: s3.url, sts: aws.url, ec2: aws.url })}`,
      { now: NOW, clouds },
    );
    expect(result.exitCode).toBe(3);
    expect(janitorStep(result).outcome.actions).toContainEqual(
      expect.objectContaining({ kind: 'delete', status: 'failed', reason: 'the fresh read before deleting failed; nothing was deleted: UnauthorizedOperation: You are not authorized to perform this operation.' }),
    );
    expect(aws.instances.get('i-0aaa')!.state).toBe('running');
  });
});
