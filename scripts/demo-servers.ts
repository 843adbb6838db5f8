// Local stand-ins for GitHub, S3 and STS, for DEMO.md on a laptop with no cloud account.
// Usage: demo-servers start DIR | wait DIR | comment DIR LOGIN BODY | stop DIR
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, PutBucketTaggingCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AwsQueryServer } from '../tests/helpers/clouds/aws-query.ts';
import { S3Server } from '../tests/helpers/clouds/s3.ts';
import { GitHubServer } from '../tests/helpers/github-server.ts';
import { commentPayload, prPayload } from '../tests/helpers/github-run.ts';
import { awsProviders } from '../tests/helpers/janitor.ts';

const [command, dirArg, ...rest] = process.argv.slice(2);
if (!command || !dirArg) {
  process.stderr.write('usage: demo-servers start|wait|comment|stop DIR [LOGIN BODY]\n');
  process.exit(2);
}
const dir = resolve(dirArg);
const stateFile = join(dir, 'servers.json');

async function start(): Promise<void> {
  const repo = join(dir, 'repo');
  if (!existsSync(repo)) throw new Error(`${repo} does not exist: run the PR check demo first`);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
  const base = git('rev-parse', 'main');
  const head = git('rev-parse', 'HEAD');

  const github = await new GitHubServer().start();
  github.pulls.set(2, { number: 2, state: 'open', user: { login: 'dana' }, head: { sha: head, ref: 'feature/region-and-retries' }, base: { sha: base, ref: 'main' }, files: ['README.md', 'src/config.ts'] });
  // The push of the pull request's head, as GitHub records it (a check suite, server time).
  github.pushed(head, { pr: 2 });
  github.permissions.set('maya', 'maintain');
  github.permissions.set('riley', 'read');
  github.permissions.set('dana', 'write');
  const s3 = await new S3Server().start();
  const sts = await new AwsQueryServer().start();

  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (stop = r));
  github.extraRoute = (r, send) => {
    if (r.path === '/_demo/comment' && r.method === 'POST') {
      const stored = github.addComment(2, r.body.login, r.body.body);
      send(201, commentPayload(stored, 2));
      return true;
    }
    if (r.path === '/_demo/stop' && r.method === 'POST') {
      send(200, { ok: true });
      stop();
      return true;
    }
    return false;
  };

  // A small estate: one expired bucket with objects, one young, one that is not DriftGuard's.
  const client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const past = String(Math.floor(Date.now() / 1000) - 3 * 3600);
  for (const [name, tags, objects] of [['dg-pr-41-artifacts', { 'dg-expires-at': past, 'dg-env': 'pr-41' }, 3], ['dg-pr-57-artifacts', { 'dg-ttl': '24h', 'dg-env': 'pr-57' }, 1], ['billing-exports', {}, 2]] as const) {
    await client.send(new CreateBucketCommand({ Bucket: name }));
    await client.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }));
    for (let i = 0; i < objects; i++) await client.send(new PutObjectCommand({ Bucket: name, Key: `build/${i}.tar`, Body: `artifact ${i}` }));
  }

  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pr.json'), JSON.stringify(prPayload('synchronize', { number: 2, base, head, author: 'dana' }), null, 2));
  const janitor = (dry: boolean) => `version: 1
dry_run: ${dry}
audit: { dir: ${join(dir, 'audit')} }
workflows:
  schedule: [janitor]
modules:
  janitor:
    ttl: 24h
    terraform: { enabled: false }
${awsProviders({ s3: s3.url, sts: sts.url })}`;
  writeFileSync(join(dir, 'janitor-policy.yaml'), janitor(true));
  writeFileSync(join(dir, 'janitor-live-policy.yaml'), janitor(false));
  writeFileSync(
    join(dir, 'env.sh'),
    [
      `export GITHUB_API_URL=${github.url}`,
      `export GITHUB_TOKEN=${github.token}`,
      'export GITHUB_REPOSITORY=Codertocat/Hello-World',
      'export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true',
      '',
    ].join('\n'),
  );
  writeFileSync(stateFile, JSON.stringify({ github: github.url, pid: process.pid }));
  process.stdout.write(`demo servers up: GitHub ${github.url}, S3 ${s3.url}, STS ${sts.url} (source ${join(dir, 'env.sh')})\n`);
  await stopped;
  await Promise.all([github.stop(), s3.stop(), sts.stop()]);
}

async function control(path: string, body: unknown): Promise<unknown> {
  const { github } = JSON.parse(readFileSync(stateFile, 'utf8')) as { github: string };
  const response = await fetch(`${github}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return response.json();
}

if (command === 'start') await start();
else if (command === 'wait') {
  for (let i = 0; i < 300 && !existsSync(stateFile); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(stateFile)) throw new Error('the demo servers did not start');
} else if (command === 'comment') {
  const [login, body] = rest;
  const payload = await control('/_demo/comment', { login, body });
  writeFileSync(join(dir, 'comment.json'), JSON.stringify(payload, null, 2));
  process.stdout.write(`@${login} commented on #2: ${body}\n`);
} else if (command === 'stop') {
  await control('/_demo/stop', {});
} else {
  process.stderr.write(`unknown command ${command}\n`);
  process.exit(2);
}
