import { describe, expect, it } from 'vitest';
import { DriftGuardError } from '../src/errors.ts';
import { Git } from '../src/git.ts';
import { eventForGitHub, intake } from '../src/intake.ts';
import { example } from './helpers/github-run.ts';

const git = new Git(process.cwd());

describe('event intake from real GitHub payloads', () => {
  it.each([
    ['pull_request', 'opened', 'pr_opened'],
    ['pull_request', 'synchronize', 'pr_synchronize'],
    ['pull_request', 'reopened', 'pr_reopened'],
    ['pull_request', 'closed', 'pr_closed'],
    ['pull_request', 'labeled', 'pr_labeled'],
    ['pull_request', 'unlabeled', 'pr_unlabeled'],
    ['pull_request', 'assigned', undefined],
    ['pull_request_review', 'submitted', 'pr_review'],
    ['pull_request_review', 'dismissed', undefined],
    ['check_run', 'completed', 'check_run'],
    ['check_run', 'created', undefined],
    ['workflow_run', 'requested', 'workflow_run'],
    ['workflow_run', 'completed', 'workflow_run'],
    ['issue_comment', 'created', 'pr_comment'],
    ['issue_comment', 'edited', 'pr_comment'],
    ['issue_comment', 'deleted', 'pr_comment'],
    ['push', undefined, 'push'],
    ['workflow_dispatch', undefined, 'dispatch'],
    ['repository_dispatch', undefined, 'dispatch'],
  ])('%s.%s -> %s', (name, action, expected) => {
    expect(eventForGitHub(name, example(name, action))).toBe(expected);
  });

  it('maps schedule and a DriftGuard downstream result', () => {
    expect(eventForGitHub('schedule', { schedule: '0 3 * * *' })).toBe('schedule');
    expect(eventForGitHub('repository_dispatch', { action: 'driftguard-downstream-result' })).toBe('downstream_result');
  });

  it('normalises a pull request: numbers, SHAs, refs, author, repository', async () => {
    const payload = example('pull_request', 'synchronize');
    const event = await intake({ event: 'pr_synchronize', payload, source: 'github', git, env: {} });
    expect(event).toMatchObject({
      name: 'pr_synchronize',
      source: 'github',
      actor: payload.sender.login,
      repo: { owner: 'Codertocat', name: 'Hello-World', fullName: 'Codertocat/Hello-World' },
      pr: { number: payload.pull_request.number, headSha: payload.pull_request.head.sha, baseSha: payload.pull_request.base.sha, author: payload.pull_request.user.login },
      change: { kind: 'git', base: payload.pull_request.base.sha, head: payload.pull_request.head.sha },
    });
  });

  it('normalises comments: action, author and whether it sits on a pull request', async () => {
    const onIssue = await intake({ event: 'pr_comment', payload: example('issue_comment', 'created'), source: 'github', git, env: {} });
    expect(onIssue.comment).toMatchObject({ action: 'created', onPullRequest: false });
    const payload = example('issue_comment', 'edited');
    payload.issue.pull_request = { url: 'x' };
    const onPr = await intake({ event: 'pr_comment', payload, source: 'github', git, env: {} });
    expect(onPr.comment).toMatchObject({ action: 'edited', onPullRequest: true, author: payload.comment.user.login });
  });

  it('normalises push and dispatch payloads', async () => {
    const push = example('push');
    expect(await intake({ event: 'push', payload: push, source: 'github', git, env: {} })).toMatchObject({ sha: push.after, ref: push.ref });
    const dispatch = example('workflow_dispatch');
    expect(await intake({ event: 'dispatch', payload: dispatch, source: 'github', git, env: { GITHUB_SHA: 'abc' } })).toMatchObject({ sha: 'abc', inputs: dispatch.inputs });
  });

  it.each([
    ['pr_comment', () => example('push'), /not a valid issue_comment event/],
    ['push', () => example('issue_comment', 'created'), /not a valid push event/],
    ['pr_opened', () => ({ ...example('pull_request', 'opened'), pull_request: { ...example('pull_request', 'opened').pull_request, head: { ref: 'x', sha: 'not-a-sha' } } }), /pull_request\.head\.sha/],
  ])('refuses a payload that is not what %s needs', async (event, make, pattern) => {
    const error = await intake({ event: event as never, payload: make(), source: 'github', git, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DriftGuardError);
    expect((error as DriftGuardError).exitCode).toBe(2);
    expect([(error as DriftGuardError).message, ...(error as DriftGuardError).details].join('\n')).toMatch(pattern);
  });
});
