import picomatch from 'picomatch';
import { PERMISSIONS, type OverrideSettings } from '../policy/schema.ts';
import type { GitHubApi, IssueComment } from './api.ts';

export type ParsedCommand = { kind: 'none' } | { kind: 'misplaced' } | { kind: 'command'; reason: string };

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Reads an override command. It must start the comment (not a quote, not mid-text); the reason
 * is the rest of the first line. A comment that only mentions the command is `misplaced`.
 */
export function parseCommand(body: string, command: string): ParsedCommand {
  const start = new RegExp(`^${escapeRegex(command)}(?=\\s|$)`);
  const trimmed = body.replace(/^\uFEFF/, '');
  const match = start.exec(trimmed);
  if (!match) return trimmed.includes(command) ? { kind: 'misplaced' } : { kind: 'none' };
  const firstLine = trimmed.slice(match[0].length).split('\n')[0] ?? '';
  return { kind: 'command', reason: firstLine.trim() };
}

/** Echoes user text safely: no mentions, no markdown or HTML, one line, capped. */
export function neutralise(text: string, max = 500): string {
  const oneLine = text.replace(/[\r\n]+/g, ' ').slice(0, max);
  return oneLine
    .replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'))
    .replace(/[\\`*_{}[\]()#+!|~]/g, (c) => `\\${c}`)
    .replace(/@(?=[A-Za-z0-9-])/g, '@\u200b');
}

export function permissionAtLeast(actual: string, wanted: (typeof PERMISSIONS)[number]): boolean {
  const rank = (PERMISSIONS as readonly string[]).indexOf(actual);
  return rank >= 0 && rank >= PERMISSIONS.indexOf(wanted);
}

export const isBot = (login: string, type: string) => type === 'Bot' || login.endsWith('[bot]');

export type Verdict = { granted: true; reason: string } | { granted: false; rule: string; silent?: boolean };

export interface CheckInput {
  comment: IssueComment;
  prAuthor: string;
  headSha: string;
  settings: OverrideSettings;
  botLogin: string;
  policyFile: string;
}

/**
 * Every rule an override must pass, checked in order against GitHub's own answers (permission,
 * files, DriftGuard's results on the head), never against what the payload claims.
 */
export async function checkOverride(api: GitHubApi, prNumber: number, input: CheckInput, options: { timing?: boolean } = {}): Promise<Verdict> {
  const { comment, settings } = input;
  if (comment.author === input.botLogin || isBot(comment.author, comment.authorType)) return { granted: false, rule: 'comments by bots are ignored', silent: true };
  const parsed = parseCommand(comment.body, settings.command);
  if (parsed.kind === 'none') return { granted: false, rule: 'not an override command', silent: true };
  if (parsed.kind === 'misplaced') return { granted: false, rule: `the command must start the comment (\`${settings.command} <reason>\`), not sit in a quote or mid-text` };
  if (parsed.reason === '') return { granted: false, rule: `a reason is required: \`${settings.command} <reason>\`` };
  if (parsed.reason.length > settings.max_reason_length) return { granted: false, rule: `the reason is longer than ${settings.max_reason_length} characters` };
  if (comment.updatedAt !== comment.createdAt) return { granted: false, rule: 'the comment was edited after it was posted; post a new one' };
  if (comment.author === input.prAuthor && !settings.allow_author) return { granted: false, rule: 'the author of a pull request cannot override its checks (overrides.allow_author is false)' };

  const permission = await api.getPermission(comment.author);
  let allowed = permissionAtLeast(permission, settings.min_permission);
  if (!allowed) {
    for (const team of settings.teams) {
      if (await api.isTeamMember(team, comment.author)) {
        allowed = true;
        break;
      }
    }
  }
  if (!allowed) {
    const teams = settings.teams.length ? ` or membership of ${settings.teams.join(', ')}` : '';
    return { granted: false, rule: `@${comment.author} has ${permission} permission; overrides need ${settings.min_permission}${teams}` };
  }

  const guarded = picomatch([...settings.protected_paths, input.policyFile], { dot: true });
  const touched = (await api.listPullFiles(prNumber)).filter((f) => guarded(f));
  if (touched.length > 0) return { granted: false, rule: `the pull request changes ${touched.slice(0, 3).join(', ')}; changes to the policy or workflows cannot be overridden` };

  if (options.timing === false) return { granted: true, reason: parsed.reason };
  const results = await api.listResults(input.headSha);
  const failing = results.filter((r) => r.failing && r.name !== 'driftguard/policy');
  if (failing.length === 0) return { granted: false, rule: `no failing DriftGuard check on the head commit ${input.headSha.slice(0, 12)}; nothing to override` };
  const latest = failing.map((r) => r.at).sort().at(-1)!;
  if (comment.createdAt < latest) {
    return { granted: false, rule: `the comment predates DriftGuard's result on the head commit ${input.headSha.slice(0, 12)} (pushed after the comment); comment again` };
  }
  return { granted: true, reason: parsed.reason };
}

/** The hidden marker DriftGuard leaves in its reply to a granted override. */
export function grantMarker(sha: string, comment: IssueComment): string {
  return `<!-- driftguard:override sha=${sha} comment=${comment.id} updated=${comment.updatedAt} -->`;
}

export function refusalMarker(commentId: number): string {
  return `<!-- driftguard:override-refused comment=${commentId} -->`;
}

/** True when DriftGuard already answered this comment (granted or refused). */
export function answered(comments: readonly IssueComment[], botLogin: string, commentId: number): boolean {
  return comments.some((c) => c.author === botLogin && new RegExp(`<!-- driftguard:override(?:-refused)? (?:sha=\\S+ )?comment=${commentId}[ >-]`).test(c.body));
}

const GRANT = /<!-- driftguard:override sha=([0-9a-f]{7,64}) comment=(\d+) updated=(\S+) -->/;

export interface ActiveOverride {
  by: string;
  reason: string;
  commentId: number;
}

/**
 * Rebuilds the override state of a pull request from GitHub: DriftGuard's own grant replies for
 * this head SHA, each re-checked (the original comment unchanged, its author's permission and the
 * PR's files still passing). Nothing is taken from a previous run's memory.
 */
export async function activeOverride(api: GitHubApi, prNumber: number, input: Omit<CheckInput, 'comment'>): Promise<ActiveOverride | undefined> {
  const comments = await api.listIssueComments(prNumber);
  for (const reply of comments) {
    if (reply.author !== input.botLogin) continue;
    const marker = GRANT.exec(reply.body);
    if (!marker || marker[1] !== input.headSha) continue;
    const original = comments.find((c) => c.id === Number(marker[2]));
    if (!original || original.updatedAt !== marker[3]) continue;
    // The grant bound it to this SHA; everything about the person and the change is checked again.
    const verdict = await checkOverride(api, prNumber, { ...input, comment: original }, { timing: false });
    if (verdict.granted) return { by: original.author, reason: verdict.reason, commentId: original.id };
  }
  return undefined;
}
