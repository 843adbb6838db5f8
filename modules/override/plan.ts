import { describeError } from '../../src/errors.ts';
import type { Write } from '../../src/github/api.ts';
import { answered, checkOverride, grantMarker, isBot, neutralise, refusalMarker } from '../../src/github/override.ts';
import type { Action, StepContext, StepOutcome } from '../../src/module.ts';

interface PlannedWrite {
  action: Action;
  write: Write;
}

function outcome(summary: string, subject: string, decision: string, reason: string, writes: PlannedWrite[] = []): StepOutcome {
  return {
    verdict: 'pass',
    summary,
    findings: [],
    actions: writes.map((w) => w.action),
    decisions: [{ subject, decision, reason }],
    data: { writes: writes.map((w) => w.write) },
  };
}

export async function planOverride(ctx: StepContext<object>): Promise<StepOutcome> {
  const { event, policy, deps } = ctx;
  const comment = event.comment;
  const settings = policy.overrides;
  const botLogin = policy.github.bot_login;
  if (!comment || !event.repo) return outcome('no comment in this event', 'event', 'ignored', 'pr_comment without a comment payload');
  const subject = `comment ${comment.id} by @${comment.author}`;
  if (comment.action !== 'created') return outcome(`ignored: comment ${comment.action}`, subject, 'ignored', `only newly created comments are read, this one was ${comment.action}`);
  if (comment.author === botLogin || isBot(comment.author, comment.authorType)) {
    return outcome('ignored: comment by a bot', subject, 'ignored', 'comments by bots, DriftGuard included, are ignored');
  }
  if (!comment.body.includes(settings.command)) return outcome('no override command', subject, 'ignored', 'not an override command');

  const api = await deps.github(event.repo);
  const base = `/repos/${event.repo.owner}/${event.repo.name}`;
  const reply = (body: string, reason: string): PlannedWrite => ({
    action: { kind: 'reply', target: `${event.repo!.fullName}#${comment.issueNumber}`, reason, status: 'planned' },
    write: { method: 'POST', path: `${base}/issues/${comment.issueNumber}/comments`, body: { body } },
  });

  if (!comment.onPullRequest) {
    const rule = 'overrides are only accepted on pull requests';
    return outcome(`override refused: ${rule}`, subject, 'refused', rule, [reply(`${refusalMarker(comment.id)}\nOverride refused: ${rule}.`, rule)]);
  }

  // Everything below is read back from GitHub: the payload's word is not taken for any of it.
  const fresh = await api.getComment(comment.id);
  if (!fresh) return outcome('ignored: the comment no longer exists', subject, 'ignored', 'comment deleted');
  const existing = await api.listIssueComments(comment.issueNumber);
  if (answered(existing, botLogin, fresh.id)) {
    return outcome('already answered', subject, 'ignored', 'DriftGuard already replied to this comment');
  }
  const pr = await api.getPull(comment.issueNumber);
  const verdict = await checkOverride(api, pr.number, { comment: fresh, prAuthor: pr.author, headSha: pr.headSha, settings, botLogin, policyFile: ctx.policyFile });

  if (!verdict.granted) {
    if (verdict.silent) return outcome(`ignored: ${verdict.rule}`, subject, 'ignored', verdict.rule);
    return outcome(`override refused: ${verdict.rule}`, subject, 'refused', verdict.rule, [
      reply(`${refusalMarker(fresh.id)}\nOverride refused for @\u200b${fresh.author}: ${neutralise(verdict.rule)}.`, verdict.rule),
    ]);
  }

  const reason = neutralise(verdict.reason, settings.max_reason_length);
  const sha = pr.headSha;
  const writes: PlannedWrite[] = [];
  for (const result of (await api.listResults(sha)).filter((r) => r.failing && r.name !== 'driftguard/policy')) {
    const title = `Overridden by @${fresh.author}`;
    writes.push({
      action: { kind: result.kind === 'check' ? 'update check run' : 'set commit status', target: `${result.name} @ ${sha.slice(0, 12)}`, reason: `override by @${fresh.author}: ${verdict.reason}`, status: 'planned' },
      write:
        result.kind === 'check'
          ? { method: 'PATCH', path: `${base}/check-runs/${result.id}`, body: { conclusion: 'neutral', output: { title, summary: `${title}: ${reason}` } } }
          : { method: 'POST', path: `${base}/statuses/${sha}`, body: { state: 'success', context: result.name, description: `${title}: ${verdict.reason}`.slice(0, 140) } },
    });
  }
  writes.push(reply(`${grantMarker(sha, fresh)}\nOverride granted by @\u200b${fresh.author} for ${sha.slice(0, 12)}: ${reason}\nA new push voids it.`, 'override granted'));
  return outcome(`override granted by @${fresh.author} on ${sha.slice(0, 12)}`, subject, 'granted', verdict.reason, writes);
}

/** Performs the planned writes; one that fails is reported and the others still go. */
export async function applyOverride(planned: StepOutcome, ctx: StepContext<object>): Promise<StepOutcome> {
  const writes = (planned.data?.writes ?? []) as Write[];
  const api = await ctx.deps.github(ctx.event.repo!);
  const actions: Action[] = [];
  let failed = 0;
  for (const [i, write] of writes.entries()) {
    const action = planned.actions[i]!;
    try {
      await api.write(write);
      actions.push({ ...action, status: 'done' });
    } catch (err) {
      failed++;
      actions.push({ ...action, status: 'failed', detail: describeError(err) });
    }
  }
  return failed > 0
    ? { ...planned, verdict: 'error', actions, summary: `${planned.summary}; ${failed} of ${writes.length} GitHub writes failed` }
    : { ...planned, actions };
}
