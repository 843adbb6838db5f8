import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { slackPayload, teamsPayload } from '../../src/notify/format.ts';
import type { Message } from '../../src/notify/message.ts';
import { runCli } from '../helpers/cli.ts';
import { AwsQueryServer } from '../helpers/clouds/aws-query.ts';
import { S3Server } from '../helpers/clouds/s3.ts';
import { awsProviders, S3RVER_CREDENTIALS } from '../helpers/janitor.ts';
import { TestRepo } from '../helpers/git-repo.ts';
import { commentPayload, runInActions } from '../helpers/github-run.ts';
import { GitHubServer } from '../helpers/github-server.ts';
import { PLAN } from '../drift/plan-fixture.ts';

// Strict validators of the documented fields DriftGuard uses: anything else fails.
const Mrkdwn = z.strictObject({ type: z.literal('mrkdwn'), text: z.string().min(1).max(3000) });
const SlackBlock = z.union([
  z.strictObject({ type: z.literal('header'), text: z.strictObject({ type: z.literal('plain_text'), text: z.string().min(1).max(150), emoji: z.boolean().optional() }) }),
  z.strictObject({ type: z.literal('section'), text: Mrkdwn }),
  z.strictObject({ type: z.literal('section'), fields: z.array(Mrkdwn.extend({ text: z.string().min(1).max(2000) })).min(1).max(10) }),
  z.strictObject({ type: z.literal('context'), elements: z.array(Mrkdwn).min(1).max(10) }),
]);
/** Slack incoming webhook with Block Kit: https://docs.slack.dev/reference/block-kit/blocks */
const SlackMessage = z.strictObject({ text: z.string().min(1), blocks: z.array(SlackBlock).min(1).max(50) });
const TextBlock = z.strictObject({
  type: z.literal('TextBlock'),
  text: z.string().min(1),
  size: z.enum(['Small', 'Default', 'Medium', 'Large', 'ExtraLarge']).optional(),
  weight: z.enum(['Lighter', 'Default', 'Bolder']).optional(),
  wrap: z.boolean().optional(),
  spacing: z.enum(['None', 'Small', 'Default', 'Medium', 'Large', 'ExtraLarge', 'Padding']).optional(),
  isSubtle: z.boolean().optional(),
});
const FactSet = z.strictObject({ type: z.literal('FactSet'), facts: z.array(z.strictObject({ title: z.string(), value: z.string() })).min(1) });
/** Teams workflow webhook: a message with one Adaptive Card attachment (https://adaptivecards.io/explorer/). */
const TeamsMessage = z.strictObject({
  type: z.literal('message'),
  attachments: z
    .array(
      z.strictObject({
        contentType: z.literal('application/vnd.microsoft.card.adaptive'),
        contentUrl: z.null(),
        content: z.strictObject({
          $schema: z.literal('http://adaptivecards.io/schemas/adaptive-card.json'),
          type: z.literal('AdaptiveCard'),
          version: z.literal('1.4'),
          body: z.array(z.union([TextBlock, FactSet])).min(1),
          actions: z.array(z.strictObject({ type: z.literal('Action.OpenUrl'), title: z.string().min(1), url: z.url() })).optional(),
        }),
      }),
    )
    .length(1),
});
const Webhook = z.strictObject({
  text: z.string().min(1),
  driftguard: z.strictObject({ event: z.enum(['drift', 'janitor', 'override_refused']), title: z.string(), summary: z.string(), facts: z.record(z.string(), z.string()), items: z.array(z.string()), more: z.number(), url: z.string().optional() }),
});

/** A chat endpoint on loopback: answers each request with the next scripted status (then the last one again). */
class ChatServer {
  bodies: unknown[] = [];
  private server: Server;
  url = '';
  constructor(private readonly script: Array<{ status: number; body?: string; headers?: Record<string, string> }>) {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        this.bodies.push(JSON.parse(raw));
        const answer = this.script[Math.min(this.bodies.length - 1, this.script.length - 1)]!;
        res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
      });
    });
  }
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    // The path is the secret part of a real webhook URL.
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/services/T0001/B0002/s3cr3tWebhookPath${Math.random().toString(36).slice(2)}`;
    return this;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

let root: string;
let github: GitHubServer;
const servers: ChatServer[] = [];
beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'dg-notify-'));
  github = await new GitHubServer().start();
  // Real drift needs a real cloud: a stand-in binary plays Terraform and prints a plan shaped like `terraform show -json`.
  const fixture = join(root, 'plan.json');
  writeFileSync(fixture, JSON.stringify(PLAN));
  const fake = join(root, 'fake-terraform');
  writeFileSync(fake, `#!/usr/bin/env bash\ncase "$1" in\n  init) exit 0 ;;\n  plan) for a in "$@"; do case "$a" in -out=*) : > "\${a#-out=}" ;; esac; done; exit 2 ;;\n  show) cat "${fixture}" ;;\nesac\n`);
  chmodSync(fake, 0o755);
  mkdirSync(join(root, 'stacks', 'web'), { recursive: true });
});
afterEach(async () => {
  await github.stop();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function chat(script: ConstructorParameters<typeof ChatServer>[0]): Promise<ChatServer> {
  const server = await new ChatServer(script).start();
  servers.push(server);
  return server;
}

function policy(targets: string): void {
  writeFileSync(
    join(root, 'policy.yaml'),
    `version: 1\ndry_run: false\naudit: { dir: audit }\nworkflows:\n  schedule: [drift]\nnotifications:\n  enabled: true\n  targets:\n${targets}modules:\n  drift:\n    binary: ${join(root, 'fake-terraform')}\n    stacks:\n      - { name: web, dir: stacks/web, environment: prod, region: eu-west-1 }\n`,
  );
}

const schedule = (env: Record<string, string>, extra: string[] = []) =>
  runInActions(github, root, 'schedule', { schedule: '0 */6 * * *', repository: { full_name: 'acme/infra', name: 'infra', owner: { login: 'acme' } } }, extra, env);

function lastAudit(): { text: string; record: { notifications?: Array<{ target: string; event: string; status: string; detail?: string }> } } {
  // Run ids are random here: the newest file is the last run's.
  const files = readdirSync(join(root, 'audit')).filter((f) => f.startsWith('driftguard-schedule-')).sort((a, b) => statSync(join(root, 'audit', a)).mtimeMs - statSync(join(root, 'audit', b)).mtimeMs);
  const text = readFileSync(join(root, 'audit', files.at(-1)!), 'utf8');
  return { text, record: JSON.parse(text) };
}

function expectNoUrl(urls: string[], ...texts: string[]): void {
  for (const url of urls) {
    const secret = url.slice(url.lastIndexOf('/') + 1);
    for (const text of texts) {
      expect(text.includes(secret), `webhook URL found in: ${text.slice(0, 200)}`).toBe(false);
    }
  }
}

describe('notifications', () => {
  it('sends drift to Slack, Teams and a generic webhook, each in its documented shape; the URLs never reach a log or artifact; the rate limit holds', async () => {
    const slack = await chat([{ status: 200, body: 'ok' }]);
    const teams = await chat([{ status: 202 }]);
    const hook = await chat([{ status: 200, body: '{"ok": true}' }]);
    policy(
      '    - { kind: slack, url_env: SLACK_URL, rate_limit: { max: 1, per: 1h } }\n    - { kind: teams, url_env: TEAMS_URL, events: [drift] }\n    - { name: ops-hook, kind: webhook, url_env: HOOK_URL, events: [janitor] }\n',
    );
    const env = { SLACK_URL: slack.url, TEAMS_URL: teams.url, HOOK_URL: hook.url, DRIFTGUARD_LOG_LEVEL: 'debug' };
    const run = await schedule(env);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(slack.bodies).toHaveLength(1);
    expect(teams.bodies).toHaveLength(1);
    // The webhook asked only for janitor summaries: nothing for drift.
    expect(hook.bodies).toHaveLength(0);
    const s = SlackMessage.parse(slack.bodies[0]);
    expect(s.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section', 'context']);
    expect(JSON.stringify(s)).toContain('prod/eu-west-1/web: 3 changes');
    expect(JSON.stringify(s)).toMatch(/<https:\/\/github\.test\/acme\/infra\/actions\/runs\/\d+\|View the run>/);
    const t = TeamsMessage.parse(teams.bodies[0]);
    expect(t.attachments[0]!.content.body[0]).toMatchObject({ type: 'TextBlock', text: 'DriftGuard: Drift in 1 stack' });
    expect(t.attachments[0]!.content.body).toContainEqual({ type: 'FactSet', facts: expect.arrayContaining([{ title: 'Drifted', value: '1' }]) });
    expect(t.attachments[0]!.content.actions?.[0]?.url).toMatch(/^https:\/\/github\.test\/acme\/infra\/actions\/runs\/\d+$/);
    const first = lastAudit();
    expect(first.record.notifications).toEqual([
      { target: 'slack-1', event: 'drift', status: 'sent' },
      { target: 'teams-2', event: 'drift', status: 'sent' },
    ]);

    // One message an hour to Slack: the second run's is skipped, with the reason, and the run is unchanged.
    const again = await schedule(env);
    expect(again.code).toBe(1);
    expect(slack.bodies).toHaveLength(1);
    expect(teams.bodies).toHaveLength(2);
    const second = lastAudit();
    expect(second.record.notifications).toContainEqual({ target: 'slack-1', event: 'drift', status: 'skipped', detail: 'rate limit: 1 messages per 1h already sent' });
    const everyFile = readdirSync(join(root, 'audit')).map((f) => readFileSync(join(root, 'audit', f), 'utf8'));
    expectNoUrl([slack.url, teams.url, hook.url], run.stdout, run.stderr, run.summary, again.stdout, again.stderr, again.summary, ...everyFile);
  });

  it('retries a 429 (Retry-After honoured) and sends once it is taken', async () => {
    const slack = await chat([{ status: 429, headers: { 'retry-after': '0' }, body: 'rate_limited' }, { status: 200, body: 'ok' }]);
    policy('    - { kind: slack, url_env: SLACK_URL }\n');
    const run = await schedule({ SLACK_URL: slack.url });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(slack.bodies).toHaveLength(2);
    expect(slack.bodies[1]).toEqual(slack.bodies[0]);
    expect(lastAudit().record.notifications).toEqual([{ target: 'slack-1', event: 'drift', status: 'sent' }]);
  });

  it('a chat that answers 500 every time is a warning, never a failure of the run', async () => {
    const teams = await chat([{ status: 500, body: 'boom' }]);
    policy('    - { kind: teams, url_env: TEAMS_URL }\n');
    const run = await schedule({ TEAMS_URL: teams.url });
    // Drift blocks (exit 1) exactly as it would with no notification at all.
    expect(run.code).toBe(1);
    expect(teams.bodies.length).toBeGreaterThan(1);
    const audit = lastAudit();
    expect(audit.record.notifications).toEqual([{ target: 'teams-1', event: 'drift', status: 'failed', detail: expect.stringContaining('HTTP 500') }]);
    expect(run.stderr).toContain('notification failed (the run goes on)');
    expectNoUrl([teams.url], run.stdout, run.stderr, run.summary, audit.text);
  });

  it('sends nothing when off (the default), in a dry run, or when the variable is unset', async () => {
    const slack = await chat([{ status: 200, body: 'ok' }]);
    writeFileSync(join(root, 'policy.yaml'), `version: 1\ndry_run: false\naudit: { dir: audit }\nworkflows:\n  schedule: [drift]\nmodules:\n  drift:\n    binary: ${join(root, 'fake-terraform')}\n    stacks:\n      - { name: web, dir: stacks/web, environment: prod, region: eu-west-1 }\n`);
    expect((await schedule({ SLACK_URL: slack.url })).code).toBe(1);
    expect(lastAudit().record.notifications).toBeUndefined();
    policy('    - { kind: slack, url_env: SLACK_URL }\n');
    expect((await schedule({ SLACK_URL: slack.url }, ['--dry-run'])).code).toBe(1);
    expect(lastAudit().record.notifications).toEqual([{ target: 'slack-1', event: 'drift', status: 'skipped', detail: 'dry run: not sent' }]);
    const unset = await schedule({});
    expect(unset.code).toBe(1);
    expect(lastAudit().record.notifications).toEqual([{ target: 'slack-1', event: 'drift', status: 'skipped', detail: 'SLACK_URL is not set' }]);
    expect(slack.bodies).toHaveLength(0);
  });

  it('a URL in the policy instead of a variable name is a policy error with its position', async () => {
    policy('    - { kind: slack, url_env: "https://hooks.slack.com/services/T0/B0/x" }\n');
    const run = await runCli(['validate'], { cwd: root });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/policy\.yaml:9:\d+ notifications\.targets\[0\]\.url_env: expected the NAME of an environment variable/);
  });
});

describe('chat payloads from hostile text', () => {
  const hostile = '<!here> @channel <https://evil.test|click> & [x](https://evil.test) <at>Bob</at> *bold*';
  const message: Message = { event: 'override_refused', title: hostile, summary: hostile, facts: [['Asked by', hostile]], items: [hostile], more: 0, url: 'https://github.test/acme/app/actions/runs/1' };

  it('Slack: no mention, no link, no special command can form', () => {
    const payload = SlackMessage.parse(slackPayload(message));
    // The header is plain_text, which Slack never reads as mrkdwn; every mrkdwn text is escaped.
    expect(payload.blocks[0]!.type).toBe('header');
    const text = JSON.stringify(payload.blocks.slice(1, -1));
    expect(text).not.toMatch(/<!|<@|<https?:/);
    expect(text).not.toMatch(/@channel|@here/);
    expect(text).toContain('&lt;!here&gt; @\u200bchannel &lt;https://evil.test|click&gt; &amp;');
    // Only DriftGuard's own link to the run is a link.
    expect(JSON.stringify(payload.blocks.at(-1))).toBe('{"type":"context","elements":[{"type":"mrkdwn","text":"<https://github.test/acme/app/actions/runs/1|View the run> · DriftGuard"}]}');
  });

  it('Teams: no Markdown link, no mention tag', () => {
    const payload = TeamsMessage.parse(teamsPayload(message));
    const text = JSON.stringify(payload.attachments[0]!.content.body);
    expect(text).not.toMatch(/[^\\]\[x\]\(/);
    expect(text).not.toMatch(/[^\\]<at>/);
    expect(text).toContain('\\\\[x\\\\]\\\\(https://evil\\\\.test\\\\)');
  });
});

describe('janitor summaries', () => {
  it('go to a generic webhook with the counts and the top deletes', async () => {
    const s3 = await new S3Server().start();
    const aws = await new AwsQueryServer().start();
    const hook = await chat([{ status: 200, body: 'ok' }]);
    try {
      const client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
      for (const [name, tags] of [['dg-old', { 'dg-expires-at': String(Math.floor(Date.now() / 1000) - 3600) }], ['dg-keep', { 'dg-ttl': '24h' }]] as const) {
        await client.send(new CreateBucketCommand({ Bucket: name }));
        await client.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }));
      }
      writeFileSync(
        join(root, 'policy.yaml'),
        `version: 1\ndry_run: false\naudit: { dir: audit }\nworkflows:\n  schedule: [janitor]\nnotifications:\n  enabled: true\n  targets:\n    - { kind: webhook, url_env: OPS_HOOK, events: [janitor] }\nmodules:\n  janitor:\n    terraform: { enabled: false }\n${awsProviders({ s3: s3.url, sts: aws.url })}`,
      );
      const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', OPS_HOOK: hook.url };
      const run = await runCli(['run', '--event', 'schedule'], { cwd: root, env });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(hook.bodies).toHaveLength(1);
      const body = Webhook.parse(hook.bodies[0]);
      expect(body.driftguard).toMatchObject({ event: 'janitor', title: 'Janitor: done', facts: { Deleted: '1', Planned: '0', Kept: '1', Failed: '0' }, items: ['delete aws s3_bucket dg-old (111111111111/us-east-1): done'], more: 0 });
      expect(body.text).toContain('DriftGuard: Janitor: done');
      expectNoUrl([hook.url], run.stdout, run.stderr, lastAudit().text);
    } finally {
      await s3.stop();
      await aws.stop();
    }
  });
});

describe('refused overrides', () => {
  it('go to Slack with who asked, the pull request and the refusing rule, the comment text never echoed as mrkdwn', async () => {
    const slack = await chat([{ status: 200, body: 'ok' }]);
    const text = `version: 1\ndry_run: false\naudit: { dir: audit }\nworkflows:\n  pr_comment: [override]\nnotifications:\n  enabled: true\n  targets:\n    - { kind: slack, url_env: SLACK_URL, events: [override_refused] }\n`;
    const { repo, head, base } = TestRepo.withChange({ 'README.md': '# app\n', 'policy.yaml': text }, { 'src/a.ts': 'export const a = 1;\n' });
    try {
      github.pulls.set(2, { number: 2, state: 'open', user: { login: 'author' }, head: { sha: head, ref: 'feature' }, base: { sha: base, ref: 'main' }, files: ['src/a.ts'] });
      github.pushed(head, { pr: 2 });
      github.permissions.set('reader', 'read');
      const stored = github.addComment(2, 'reader', '/driftguard override <!here> please', 'User');
      const run = await runInActions(github, repo.dir, 'issue_comment', commentPayload(stored, 2), [], { SLACK_URL: slack.url });
      expect(run.stdout).toContain('REFUSED');
      expect(slack.bodies).toHaveLength(1);
      const s = SlackMessage.parse(slack.bodies[0]);
      const all = JSON.stringify(s.blocks);
      expect(s.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'DriftGuard: Override refused', emoji: false } });
      expect(all).toContain('*Pull request*\\n#2');
      expect(all).toContain('*Asked by*\\nreader');
      expect(all).toMatch(/comment \d+ by @\u200breader: reader has read permission; overrides need write/);
      expect(all).not.toContain('<!here>');
      expectNoUrl([slack.url], run.stdout, run.stderr, run.summary);
    } finally {
      repo.remove();
    }
  });
});
