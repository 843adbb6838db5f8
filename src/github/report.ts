import { createHash } from 'node:crypto';
import type { RunResult, StepRecord } from '../engine.ts';
import type { Finding } from '../module.ts';
import type { GitHubSettings } from '../policy/schema.ts';
import { formatMarkdown, GITHUB_TEXT_LIMIT } from '../report/format.ts';
import { inertCode, inertMarkdown, inertText } from '../report/inert.ts';
import { isForbidden, type Annotation, type GitHubApi, type IssueComment, type Write } from './api.ts';

export const REPORT_MARKER = '<!-- driftguard:report -->';
/** The sticky comment's first two lines; read only there, in comments by the bot login. */
const VERDICT_LINE = /^<!-- driftguard:verdict ([0-9a-f]{16}) -->$/;
const MAX_OUTPUT = GITHUB_TEXT_LIMIT - 1;
const ANNOTATIONS_PER_REQUEST = 50;

export const checkName = (module: string) => `driftguard/${module.replace(/_/g, '-')}`;

/** A fingerprint of what the verdict says (not when it was reached): the comment changes only when this does. */
export function verdictKey(result: RunResult): string {
  const essence = {
    outcome: result.outcome,
    steps: result.steps.map((s) => ({ m: s.module, e: s.effect, f: s.outcome.findings.map((f) => [f.title, f.file, f.line]) })),
    override: result.override?.commentId,
  };
  return createHash('sha256').update(JSON.stringify(essence)).digest('hex').slice(0, 16);
}

function conclusion(step: StepRecord): 'success' | 'failure' | 'neutral' {
  if (step.effect === 'pass') return 'success';
  if (step.effect === 'warn' || step.effect === 'overridden') return 'neutral';
  return 'failure';
}

/** Annotations are plain text on GitHub: one line each for path and title, hidden characters shown. */
function annotation(finding: Finding): Annotation | undefined {
  if (!finding.file) return undefined;
  const line = finding.line ?? 1;
  return {
    path: finding.file,
    start_line: line,
    end_line: line,
    annotation_level: finding.severity === 'error' ? 'failure' : finding.severity === 'warning' ? 'warning' : 'notice',
    title: inertText(finding.title, 250),
    message: inertText(finding.suggestion ? `${finding.message} | suggested doc text: ${finding.suggestion}` : finding.message, 60_000),
  };
}

/** A check run's title: plain text, one line. */
function stepTitle(step: StepRecord, result: RunResult): string {
  if (step.effect === 'overridden' && result.override) return inertText(`Overridden by ${result.override.by}`, 250);
  return inertText(step.outcome.summary, 250);
}

/**
 * A check run's summary (Markdown, within GitHub's 65,535 characters): errors first; when findings
 * must be left out, the last line says how many and that the annotations and the job summary hold them.
 */
function stepText(step: StepRecord, result: RunResult): string {
  const head = [`**${step.module}**: ${inertMarkdown(step.outcome.summary, 2000)}`, ''];
  if (step.effect === 'overridden' && result.override) head.push(`Overridden by ${inertMarkdown(`@${result.override.by}`)}: ${inertMarkdown(result.override.reason, 2000)}`, '');
  const rank = { error: 0, warning: 1, notice: 2 } as const;
  const findings = [...step.outcome.findings].sort((a, b) => rank[a.severity] - rank[b.severity]);
  const lines: string[] = [];
  let used = head.join('\n').length + 300;
  let left = 0;
  for (const f of findings) {
    const line = `- ${f.file ? `${inertCode(`${f.file}${f.line ? `:${f.line}` : ''}`)} ` : ''}${inertMarkdown(f.title, 300)}: ${inertMarkdown(f.message, 2000)}`;
    if (left === 0 && used + line.length + 1 <= MAX_OUTPUT) {
      lines.push(line);
      used += line.length + 1;
    } else left++;
  }
  if (left > 0) lines.push('', `**${left} more not shown here** (GitHub's size limit): see the annotations, the job summary and the audit artifact.`);
  return [...head, ...lines].join('\n');
}

export interface PublishInput {
  api: GitHubApi | undefined;
  result: RunResult;
  settings: GitHubSettings;
  dryRun: boolean;
  runUrl?: string;
  /** Modules that publish their own check run. */
  ownChecks?: readonly string[];
  /** Extra checks to publish (policy validation of a PR that edits the policy). */
  extraChecks?: Array<{ name: string; conclusion: 'success' | 'failure'; title: string; summary: string }>;
}

export interface Published {
  writes: Array<Write & { done: boolean; note?: string }>;
}

/**
 * Puts the verdict where people look: a check run per module on the head SHA (a commit status
 * when check runs are not permitted), with findings as annotations, and one sticky PR comment,
 * updated only when the verdict changes. In dry-run nothing is sent: the writes are returned.
 */
export async function publish(input: PublishInput): Promise<Published> {
  const { api, result, settings, dryRun } = input;
  const repo = api?.repo ?? result.event.repo;
  const sha = result.event.pr?.headSha ?? result.event.sha;
  const writes: Published['writes'] = [];
  if (!repo || !sha) return { writes };
  const base = `/repos/${repo.owner}/${repo.name}`;

  const send = async (write: Write, fallback?: Write): Promise<number | undefined> => {
    if (dryRun || !api) {
      writes.push({ ...write, done: false });
      return undefined;
    }
    try {
      const response = await api.write(write);
      writes.push({ ...write, done: true });
      return response.id;
    } catch (err) {
      if (fallback && isForbidden(err)) {
        writes.push({ ...write, done: false, note: 'not permitted; fell back to a commit status' });
        await api.write(fallback);
        writes.push({ ...fallback, done: true });
        return undefined;
      }
      throw err;
    }
  };

  if (settings.checks) {
    const checks = [
      ...result.steps.filter((step) => !input.ownChecks?.includes(step.module)).map((step) => ({
        name: checkName(step.module),
        conclusion: conclusion(step),
        title: stepTitle(step, result),
        summary: stepText(step, result),
        annotations: step.outcome.findings.map(annotation).filter((a): a is Annotation => a !== undefined).slice(0, settings.max_annotations),
      })),
      ...(input.extraChecks ?? []).map((c) => ({ ...c, annotations: [] as Annotation[] })),
    ];
    for (const check of checks) {
      const first = check.annotations.slice(0, ANNOTATIONS_PER_REQUEST);
      const id = await send(
        {
          method: 'POST',
          path: `${base}/check-runs`,
          body: {
            name: check.name,
            head_sha: sha,
            status: 'completed',
            conclusion: check.conclusion,
            ...(input.runUrl ? { details_url: input.runUrl } : {}),
            output: { title: check.title, summary: check.summary, annotations: first },
          },
        },
        {
          method: 'POST',
          path: `${base}/statuses/${sha}`,
          body: {
            state: check.conclusion === 'failure' ? 'failure' : 'success',
            context: check.name,
            description: check.title.slice(0, 140),
            ...(input.runUrl ? { target_url: input.runUrl } : {}),
          },
        },
      );
      // The API takes 50 annotations a request; the rest go in updates to the same run.
      for (let i = ANNOTATIONS_PER_REQUEST; i < check.annotations.length && (id !== undefined || dryRun); i += ANNOTATIONS_PER_REQUEST) {
        await send({
          method: 'PATCH',
          path: `${base}/check-runs/${id ?? '<id>'}`,
          body: { output: { title: check.title, summary: check.summary, annotations: check.annotations.slice(i, i + ANNOTATIONS_PER_REQUEST) } },
        });
      }
    }
  }

  const pr = result.event.pr;
  if (settings.comment && pr) {
    const key = verdictKey(result);
    const first = `${REPORT_MARKER}\n<!-- driftguard:verdict ${key} -->\n`;
    const body = `${first}${formatMarkdown(result, {}, { maxChars: GITHUB_TEXT_LIMIT - first.length, rest: 'see the check runs, the job summary and the audit artifact' })}`;
    let existing: IssueComment | undefined;
    if (api) {
      // The sticky comment is the bot's comment that starts with the marker; text it quotes can never start it.
      existing = (await api.listIssueComments(pr.number)).find((c) => c.author === settings.bot_login && c.body.startsWith(`${REPORT_MARKER}\n`));
    }
    const previousKey = existing ? VERDICT_LINE.exec(existing.body.split('\n')[1] ?? '')?.[1] : undefined;
    if (existing && previousKey !== key) {
      await send({ method: 'PATCH', path: `${base}/issues/comments/${existing.id}`, body: { body } });
    } else if (!existing && result.outcome !== 'pass') {
      // A clean first run says nothing: the check is enough. A comment appears once there is something to say.
      await send({ method: 'POST', path: `${base}/issues/${pr.number}/comments`, body: { body } });
    }
  }
  return { writes };
}
