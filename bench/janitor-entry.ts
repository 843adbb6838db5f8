// Bench entry: the janitor against s3rver on loopback, versus a sequential `aws s3 rb --force`
// loop on the same server in the same run; then the pure planning step over 10,000 resources.
import { spawn, spawnSync } from 'node:child_process';
import { CreateBucketCommand, ListBucketsCommand, PutBucketTaggingCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { selectExpired, eligibilityPolicy } from '../modules/janitor/select-expired.ts';
import { JanitorConfig } from '../modules/janitor/schema.ts';
import type { Resource } from '../modules/janitor/types.ts';
import { mapLimit } from '../src/limit.ts';
import { AwsQueryServer } from '../tests/helpers/clouds/aws-query.ts';
import { S3Server } from '../tests/helpers/clouds/s3.ts';
import { awsProviders, runJanitor, S3RVER_CREDENTIALS } from '../tests/helpers/janitor.ts';

const BUCKETS = Number(process.env.BENCH_BUCKETS ?? 200);
const OBJECTS = 5;
const PAST = String(Math.floor(Date.now() / 1000) - 86_400);

const s3 = await new S3Server().start();
const sts = await new AwsQueryServer().start();
const client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: S3RVER_CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED' });

async function seed(prefix: string): Promise<string[]> {
  const names = Array.from({ length: BUCKETS }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
  await mapLimit(names, 16, async (name) => {
    await client.send(new CreateBucketCommand({ Bucket: name }));
    await client.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: [{ Key: 'dg-expires-at', Value: PAST }] } }));
    for (let o = 0; o < OBJECTS; o++) await client.send(new PutObjectCommand({ Bucket: name, Key: `o${o}.txt`, Body: 'x' }));
  });
  return names;
}
const remaining = async () => ((await client.send(new ListBucketsCommand({}))).Buckets ?? []).length;

await seed('dg-bench-');
const policy = `version: 1
dry_run: false
workflows: { schedule: [janitor] }
modules:
  janitor:
    max_deletions: ${BUCKETS}
    concurrency: 8
    terraform: { enabled: false }
${awsProviders({ s3: s3.url, sts: sts.url })}`;
let started = performance.now();
const result = await runJanitor(policy);
const janitorMs = performance.now() - started;
const left = await remaining();
if (result.exitCode !== 0 || left !== 0) throw new Error(`janitor run failed: exit ${result.exitCode}, ${left} buckets left`);

let awsMs: number | undefined;
const awsCli = spawnSync('aws', ['--version']).status === 0;
if (awsCli) {
  const names = await seed('dg-awscli-');
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_DEFAULT_REGION: 'us-east-1' };
  started = performance.now();
  for (const name of names) {
    // Asynchronously: the S3 server runs in this very process and must keep answering.
    const status = await new Promise<number | null>((resolve) => spawn('aws', ['--endpoint-url', s3.url, 's3', 'rb', `s3://${name}`, '--force'], { env, stdio: 'ignore' }).on('close', resolve));
    if (status !== 0) throw new Error(`aws s3 rb ${name} failed`);
  }
  awsMs = performance.now() - started;
}

// Planning is a pure function: CPU time and heap for 10,000 listed resources.
const config = JanitorConfig.parse({ providers: { aws: { accounts: ['111111111111'], regions: ['us-east-1'] } } });
const inventory: Resource[] = Array.from({ length: 10_000 }, (_, i) => ({
  provider: 'aws', type: 's3_bucket', id: `b${i}`, name: i % 3 ? `dg-${i}` : `team-${i}`, account: '111111111111', region: 'us-east-1',
  createdAt: new Date(Date.now() - (i % 200) * 3_600_000), tags: (i % 7 ? { 'dg-ttl': `${(i % 48) + 1}h`, owner: 'x' } : { Protected: 'true' }) as Record<string, string>,
}));
const rssBefore = process.memoryUsage().rss;
const cpuBefore = process.cpuUsage();
const planned = selectExpired(inventory, eligibilityPolicy(config), new Date());
const cpu = process.cpuUsage(cpuBefore);
const rssAfter = process.memoryUsage().rss;

await s3.stop();
await sts.stop();
process.stdout.write(JSON.stringify({ buckets: BUCKETS, objects: OBJECTS, janitorMs, awsMs, planCpuMs: (cpu.user + cpu.system) / 1000, planRssGrowthMb: Math.max(0, rssAfter - rssBefore) / 1024 / 1024, planned: planned.length, eligible: planned.filter((p) => p.decision.eligible).length, peakRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
