import { describeError } from '../../src/errors.ts';
import type { Write } from '../../src/github/api.ts';
import { answered, checkOverride, isBot, replyMarker } from '../../src/github/override.ts';
import type { Action, StepContext, StepOutcome } from '../../src/module.ts';
import { inertMarkdown, inertText, normaliseTyped } from '../../src/report/inert.ts';

interface PlannedWrite {
  action: Action;
  write: Write;
}

const UNCHANGED = "the pull request's checks are unchanged";

function outcome(summary: string, subject: string, decision: string, reason: string, writes: PlannedWrite[] = []): StepOutcome {
  return {
    verdict: 'pass',
    label: decision === 'refused' ? 'REFUSED' : decision === 'granted' ? 'GRANTED' : 'IGNORED',
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
  // Judged on the text as a person reads it, like every other rule (look-alikes fold, invisible characters go).
  if (!normaliseTyped(comment.body).includes(settings.command)) return outcome('no override command', subject, 'ignored', 'not an override command');

  const api = await deps.github(event.repo);
  const base = `/repos/${event.repo.owner}/${event.repo.name}`;
  const reply = (body: string, reason: string): PlannedWrite => ({
    action: { kind: 'reply', target: `${event.repo!.fullName}#${comment.issueNumber}`, reason, status: 'planned' },
    write: { method: 'POST', path: `${base}/issues/${comment.issueNumber}/comments`, body: { body } },
  });

  const refusal = (id: number, author: string, rule: string) =>
    reply(`${replyMarker(id)}\n**Override refused** for ${inertMarkdown(`@${author}`)}: ${inertMarkdown(rule)}.\nNothing was overridden: ${UNCHANGED}.`, rule);
  if (!comment.onPullRequest) {
    const rule = 'overrides are only accepted on pull requests';
    return outcome(`override refused: ${rule}; nothing to change`, subject, 'refused', rule, [refusal(comment.id, comment.author, rule)]);
  }

  // Everything below is read back from GitHub: the payload's word is not taken for any of it.
  const fresh = await api.getComment(comment.id);
  if (!fresh) return outcome('ignored: the comment no longer exists', subject, 'ignored', 'comment deleted');
  const existing = await api.listIssueComments(comment.issueNumber);
  if (answered(existing, botLogin, fresh.id)) {
    return outcome('already answered', subject, 'ignored', 'DriftGuard already replied to this comment');
  }
  const pr = await api.getPull(comment.issueNumber);
  const verdict = await checkOverride(
    api,
    { comment: fresh, prNumber: pr.number, prAuthor: pr.author, headSha: pr.headSha, settings, botLogin, policyFile: ctx.policyFile },
    { results: true },
  );

  if (!verdict.granted) {
    if (verdict.silent) return outcome(`ignored: ${verdict.rule}`, subject, 'ignored', verdict.rule);
    return outcome(`override refused: ${verdict.rule}; ${UNCHANGED}`, subject, 'refused', verdict.rule, [refusal(fresh.id, fresh.author, verdict.rule)]);
  }

  const sha = pr.headSha;
  const writes: PlannedWrite[] = [];
  const title = inertText(`Overridden by ${fresh.author}`, 200);
  for (const result of (await api.listResults(sha)).filter((r) => r.failing && r.name !== 'driftguard/policy')) {
    writes.push({
      action: { kind: result.kind === 'check' ? 'update check run' : 'set commit status', target: `${result.name} @ ${sha.slice(0, 12)}`, reason: `override by ${fresh.author}: ${verdict.reason}`, status: 'planned' },
      write:
        result.kind === 'check'
          ? { method: 'PATCH', path: `${base}/check-runs/${result.id}`, body: { conclusion: 'neutral', output: { title, summary: `**${inertMarkdown(`Overridden by ${fresh.author}`)}**: ${inertMarkdown(verdict.reason, settings.max_reason_length)}` } } }
          : { method: 'POST', path: `${base}/statuses/${sha}`, body: { state: 'success', context: result.name, description: inertText(`Overridden by ${fresh.author}: ${verdict.reason}`, 130) } },
    });
  }
  writes.push(
    reply(
      `${replyMarker(fresh.id)}\n**Override granted** by ${inertMarkdown(`@${fresh.author}`)} for ${sha.slice(0, 12)}: ${inertMarkdown(verdict.reason, settings.max_reason_length)}\nIt holds for this commit only: a new push voids it.`,
      'override granted',
    ),
  );
  return outcome(`override granted by ${fresh.author} on ${sha.slice(0, 12)}`, subject, 'granted', verdict.reason, writes);
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
