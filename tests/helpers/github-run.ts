import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { runCli, type CliResult } from './cli.ts';
import type { GitHubServer } from './github-server.ts';

type Example = Record<string, any>;
// Required, not imported: the package is JSON, which plain Node ESM imports only with an attribute.
const all = createRequire(import.meta.url)('@octokit/webhooks-examples') as Array<{ name: string; examples: Example[] }>;

/** A copy of a real webhook payload from @octokit/webhooks-examples: the first of `name` (with `action`). */
export function example(name: string, action?: string): Example {
  const found = all.find((e) => e.name === name)?.examples.find((e) => action === undefined || e.action === action);
  if (!found) throw new Error(`no ${name}${action ? `.${action}` : ''} example`);
  return structuredClone(found);
}

/** A real webhook payload from @octokit/webhooks-examples, adjusted to the test's PR. */
export function prPayload(action: string, pr: { number: number; base: string; head: string; author: string }): Example {
  const payload = example('pull_request', action);
  payload.number = pr.number;
  payload.pull_request.number = pr.number;
  payload.pull_request.base.sha = pr.base;
  payload.pull_request.head.sha = pr.head;
  payload.pull_request.user.login = pr.author;
  return payload;
}

/** issue_comment.created for a comment stored on the server; on a PR unless told otherwise. */
export function commentPayload(comment: { id: number; body: string; user: { login: string; type: string }; created_at: string; updated_at: string }, issue: number, options: { onPullRequest?: boolean; action?: string } = {}): Example {
  const payload = example('issue_comment', options.action ?? 'created');
  payload.issue.number = issue;
  if (options.onPullRequest ?? true) payload.issue.pull_request = { url: `https://api.github.test/repos/Codertocat/Hello-World/pulls/${issue}` };
  else delete payload.issue.pull_request;
  payload.comment = { ...payload.comment, id: comment.id, body: comment.body, user: { ...payload.comment.user, login: comment.user.login, type: comment.user.type }, created_at: comment.created_at, updated_at: comment.updated_at };
  payload.sender = { ...payload.sender, login: comment.user.login, type: comment.user.type };
  return payload;
}

/** Runs `driftguard run` as the GitHub Action would: event from the environment, token, API URL. */
export async function runInActions(server: GitHubServer, cwd: string, githubEvent: string, payload: Example, extra: string[] = [], env: Record<string, string> = {}): Promise<CliResult & { summary: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-gh-'));
  const eventPath = join(dir, 'event.json');
  const summaryPath = join(dir, 'summary.md');
  writeFileSync(eventPath, JSON.stringify(payload));
  writeFileSync(summaryPath, '');
  const result = await runCli(['run', ...extra], {
    cwd,
    env: {
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: githubEvent,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_TOKEN: server.token,
      GITHUB_API_URL: server.url,
      GITHUB_STEP_SUMMARY: summaryPath,
      GITHUB_RUN_ID: String(Math.floor(Math.random() * 1e9)),
      GITHUB_SERVER_URL: 'https://github.test',
      ...env,
    },
  });
  return { ...result, summary: readFileSync(summaryPath, 'utf8') };
}
