import picomatch from 'picomatch';
import { describeError } from '../errors.ts';
import { PERMISSIONS, type OverrideSettings } from '../policy/schema.ts';
import { normaliseTyped } from '../report/inert.ts';
import { isTimeout, type GitHubApi, type IssueComment } from './api.ts';

export type ParsedCommand = { kind: 'none' } | { kind: 'misplaced' } | { kind: 'command'; reason: string };

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Reads an override command from a comment body as a person typed it. The body is normalised first
 * (`normaliseTyped`: NFKC, format characters removed), so a look-alike command is the command and
 * a reason made only of invisible characters is no reason. The command must start the comment
 * (not a quote, not mid-text); the reason is the rest of the first line, trimmed. A comment that
 * only mentions the command is `misplaced`.
 */
export function parseCommand(body: string, command: string): ParsedCommand {
  const start = new RegExp(`^${escapeRegex(command)}(?=\\s|$)`);
  const text = normaliseTyped(body);
  const match = start.exec(text);
  if (!match) return text.includes(command) ? { kind: 'misplaced' } : { kind: 'none' };
  const firstLine = text.slice(match[0].length).split(/\r?\n/)[0] ?? '';
  return { kind: 'command', reason: firstLine.trim() };
}

export function permissionAtLeast(actual: string, wanted: (typeof PERMISSIONS)[number]): boolean {
  const rank = (PERMISSIONS as readonly string[]).indexOf(actual);
  return rank >= 0 && rank >= PERMISSIONS.indexOf(wanted);
}

export const isBot = (login: string, type: string) => type === 'Bot' || login.endsWith('[bot]');

export type Verdict = { granted: true; reason: string } | { granted: false; rule: string; silent?: boolean };

export interface CheckInput {
  comment: IssueComment;
  prNumber: number;
  prAuthor: string;
  headSha: string;
  settings: OverrideSettings;
  botLogin: string;
  policyFile: string;
}

/** When the head commit became what it is, as far as GitHub can prove it: a time the comment must follow. */
export type HeadTime = { known: true; at: string; by: string } | { known: false; why: string };

/**
 * The latest of: the head commit's committer date, the creation of its newest check suite (GitHub
 * Actions creates one for each workflow run on the commit, so each push of it to the pull request
 * makes one), and the pull request's last force push or branch restore. Commit dates are written
 * by whoever commits and can be set in the past, so the check suite's server time is required:
 * with none, the time is unknown and no override can hold. A later workflow run on the same
 * commit therefore voids an override too: it fails closed, and a new comment restores it.
 */
export async function headTime(api: GitHubApi, prNumber: number, sha: string): Promise<HeadTime> {
  const short = sha.slice(0, 12);
  let suites: string[];
  let events: Array<{ event: string; createdAt: string }>;
  try {
    [suites, events] = await Promise.all([api.checkSuiteTimes(sha), api.listIssueEvents(prNumber)]);
  } catch (err) {
    return { known: false, why: `when the head commit ${short} was pushed cannot be read from GitHub (${describeError(err)})` };
  }
  if (suites.length === 0) return { known: false, why: `GitHub lists no check suite for the head commit ${short}, so when it was pushed cannot be proven` };
  // The commit's own date only ever moves the bar later; when GitHub cannot say it, the suite decides.
  const committed = await api.commitDate(sha).catch(() => '');
  const candidates: Array<[string, string]> = [
    [committed, 'the head commit\'s date'],
    // The latest suite: a commit pushed again (after a force push back, or first pushed elsewhere)
    // gets a new one, and only the comment after its last push covers it.
    [suites.at(-1)!, 'the latest push of the head commit (its newest check suite)'],
    ...events.filter((e) => e.event === 'head_ref_force_pushed' || e.event === 'head_ref_restored').map((e): [string, string] => [e.createdAt, `a ${e.event === 'head_ref_restored' ? 'branch restore' : 'force push'}`]),
  ];
  const [at, by] = candidates.filter(([time]) => !Number.isNaN(Date.parse(time))).sort((a, b) => Date.parse(a[0]) - Date.parse(b[0])).at(-1)!;
  return { known: true, at, by };
}

/**
 * Every rule an override must pass, checked in order against GitHub's own answers about the
 * comment, the commenter and the change (permission now, the pull request's files, when its head
 * was pushed), never against what the payload claims or what DriftGuard wrote before.
 * `options.results` also asks for a failing DriftGuard result on the head (the comment job's
 * "nothing to override").
 */
export async function checkOverride(api: GitHubApi, input: CheckInput, options: { results?: boolean } = {}): Promise<Verdict> {
  const { comment, settings } = input;
  if (comment.author === input.botLogin || isBot(comment.author, comment.authorType)) return { granted: false, rule: 'comments by bots are ignored', silent: true };
  const parsed = parseCommand(comment.body, settings.command);
  if (parsed.kind === 'none') return { granted: false, rule: 'not an override command', silent: true };
  if (parsed.kind === 'misplaced') return { granted: false, rule: `the command must start the comment (${settings.command} <reason>), not sit in a quote or mid-text` };
  if (parsed.reason === '') return { granted: false, rule: `a reason is required: ${settings.command} <reason>` };
  if (Array.from(parsed.reason).length > settings.max_reason_length) return { granted: false, rule: `the reason is longer than ${settings.max_reason_length} characters` };
  if (comment.updatedAt !== comment.createdAt) return { granted: false, rule: 'the comment was edited after it was posted; post a new one' };
  if (comment.author === input.prAuthor && !settings.allow_author) return { granted: false, rule: 'the author of a pull request cannot override its checks (overrides.allow_author is false)' };

  let permission: string;
  let allowed = false;
  try {
    permission = await api.getPermission(comment.author);
    allowed = permissionAtLeast(permission, settings.min_permission);
    for (const team of allowed ? [] : settings.teams) {
      if (await api.isTeamMember(team, comment.author)) {
        allowed = true;
        break;
      }
    }
  } catch (err) {
    const what = isTimeout(err) ? 'timed out' : 'failed';
    return { granted: false, rule: `the permission lookup for ${comment.author} ${what} (${describeError(err)}); nothing was overridden, comment again later` };
  }
  if (!allowed) {
    const teams = settings.teams.length ? ` or membership of ${settings.teams.join(', ')}` : '';
    return { granted: false, rule: `${comment.author} has ${permission} permission; overrides need ${settings.min_permission}${teams}` };
  }

  const guarded = picomatch([...settings.protected_paths, input.policyFile], { dot: true });
  let files: string[];
  try {
    files = await api.listPullFiles(input.prNumber);
  } catch (err) {
    return { granted: false, rule: `the pull request's files cannot all be read, so a change to the policy or workflows cannot be ruled out (${describeError(err)})` };
  }
  const touched = files.filter((f) => guarded(f));
  if (touched.length > 0) return { granted: false, rule: `the pull request changes ${touched.slice(0, 3).join(', ')}; changes to the policy or workflows cannot be overridden` };

  const head = await headTime(api, input.prNumber, input.headSha);
  if (!head.known) return { granted: false, rule: head.why };
  if (Date.parse(comment.createdAt) <= Date.parse(head.at)) {
    return { granted: false, rule: `the comment predates ${head.by} (${head.at}) on the head commit ${input.headSha.slice(0, 12)}; an override covers only what was there when it was posted: comment again` };
  }

  if (options.results) {
    const failing = (await api.listResults(input.headSha)).filter((r) => r.failing && r.name !== 'driftguard/policy');
    if (failing.length === 0) return { granted: false, rule: `no failing DriftGuard check on the head commit ${input.headSha.slice(0, 12)}; nothing to override` };
  }
  return { granted: true, reason: parsed.reason };
}

/**
 * The first line of every reply to an override command: it lets a re-run of the same comment job
 * answer once. It is only ever read at the very start of a comment by the bot login, and no grant
 * is ever read from it.
 */
export function replyMarker(commentId: number): string {
  return `<!-- driftguard:override-reply comment=${commentId} -->`;
}

/** True when DriftGuard already answered this comment (granted or refused). */
export function answered(comments: readonly IssueComment[], botLogin: string, commentId: number): boolean {
  const first = replyMarker(commentId);
  return comments.some((c) => c.author === botLogin && (c.body === first || c.body.startsWith(`${first}\n`)));
}

export interface ActiveOverride {
  by: string;
  reason: string;
  commentId: number;
}

/** The reads `checkOverride` makes, each asked of GitHub once per run however many comments are checked. */
function memoised(api: GitHubApi): GitHubApi {
  const cache = new Map<string, Promise<unknown>>();
  const once = <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) => (...args: A): Promise<R> => {
    const key = `${name} ${JSON.stringify(args)}`;
    if (!cache.has(key)) cache.set(key, fn(...args));
    return cache.get(key) as Promise<R>;
  };
  return {
    ...api,
    getPermission: once('permission', api.getPermission.bind(api)),
    isTeamMember: once('team', api.isTeamMember.bind(api)),
    listPullFiles: once('files', api.listPullFiles.bind(api)),
    commitDate: once('commit', api.commitDate.bind(api)),
    checkSuiteTimes: once('suites', api.checkSuiteTimes.bind(api)),
    listIssueEvents: once('events', api.listIssueEvents.bind(api)),
  };
}

/**
 * Rebuilds the override of a pull request's head on every run, only from people's own command
 * comments and GitHub's answers about them: the newest comment that passes every rule of
 * `checkOverride` now (not a bot, unedited, permission now, files, posted after the head was
 * pushed). Replies DriftGuard wrote are never read: they are for people, not state.
 */
export async function activeOverride(
  github: GitHubApi,
  input: Omit<CheckInput, 'comment'>,
  onRefused: (comment: IssueComment, rule: string) => void = () => undefined,
): Promise<ActiveOverride | undefined> {
  const api = memoised(github);
  const comments = await api.listIssueComments(input.prNumber);
  const commands = comments
    .filter((c) => c.author !== input.botLogin && !isBot(c.author, c.authorType) && parseCommand(c.body, input.settings.command).kind === 'command')
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : b.id - a.id));
  for (const comment of commands) {
    const verdict = await checkOverride(api, { ...input, comment });
    if (verdict.granted) return { by: comment.author, reason: verdict.reason, commentId: comment.id };
    onRefused(comment, verdict.rule);
  }
  return undefined;
}
