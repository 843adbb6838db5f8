import { describe, expect, it } from 'vitest';
import { Git } from '../../src/git.ts';
import { intake } from '../../src/intake.ts';
import { example } from '../helpers/github-run.ts';

const git = new Git(process.cwd());
const take = (event: Parameters<typeof intake>[0]['event'], payload: unknown) => intake({ event, payload, source: 'github', git, env: {} });

describe('intake of the events a lifecycle reads (real @octokit/webhooks-examples payloads)', () => {
  it('pull_request.labeled and unlabeled carry the pull request and the label', async () => {
    const labeled = await take('pr_labeled', example('pull_request', 'labeled'));
    expect(labeled).toMatchObject({ name: 'pr_labeled', actor: 'Codertocat', label: 'bug', pr: { number: 2, baseRef: 'master' }, repo: { fullName: 'Codertocat/Hello-World' } });
    const unlabeled = await take('pr_unlabeled', example('pull_request', 'unlabeled'));
    expect(unlabeled.name).toBe('pr_unlabeled');
    expect(typeof unlabeled.label).toBe('string');
    await expect(take('pr_labeled', example('pull_request', 'opened'))).rejects.toThrow('a pull_request "opened" payload cannot drive --event pr_labeled');
  });

  it('pull_request_review.submitted carries the review, its author and commit', async () => {
    const event = await take('pr_review', example('pull_request_review', 'submitted'));
    expect(event).toMatchObject({ name: 'pr_review', pr: { number: 2 }, review: { state: 'commented', author: 'Codertocat', commitId: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821' } });
  });

  it('check_run.completed and workflow_run carry the run, its conclusion and its pull requests', async () => {
    const check = await take('check_run', example('check_run', 'completed'));
    expect(check.run).toMatchObject({ kind: 'check', name: 'Octocoders-linter', conclusion: 'failure', headSha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', pulls: [2] });
    const workflow = await take('workflow_run', example('workflow_run', 'requested'));
    expect(workflow.run).toMatchObject({ kind: 'workflow', conclusion: null, pulls: [] });
    expect(workflow.run!.status).not.toBe('completed');
  });

  it('refuses a check_run payload without its run', async () => {
    const payload = example('check_run', 'completed');
    delete payload.check_run;
    await expect(take('check_run', payload)).rejects.toThrow('is not a valid check_run event');
  });
});
