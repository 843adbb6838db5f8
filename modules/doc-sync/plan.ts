import { changeSourceFor, githubFor, type ChangeSource } from '../../src/change.ts';
import type { Decision, Finding, StepContext, StepOutcome } from '../../src/module.ts';
import { durationMs } from '../../src/policy/types.ts';
import { askGemini, buildPrompt, createGeminiClient, type AiResult } from './ai.ts';
import { allowMatcher, loadDocs } from './docs.ts';
import { GitBatchReader } from './git-batch.ts';
import { flagHunks, runGuard, type FileHit } from './guard.ts';
import { parserCounts } from './js-pool.ts';
import { HeadReader, newReads, newRuleHits, type BaseSearch } from './new-reads.ts';
import type { Git } from '../../src/git.ts';
import type { DocSyncConfig } from './schema.ts';
import { pathMatcher } from './globs.ts';

/** `git grep` at the base commit, when the local clone has it (the GitHub API path reads files instead). */
async function gitSearch(git: Git, base: string): Promise<BaseSearch | undefined> {
  if (!(await git.resolve(base).catch(() => ''))) return undefined;
  return {
    async filesMentioning(names) {
      if (names.length === 0) return [];
      const args = ['-c', 'core.quotePath=false', 'grep', '-l', '-z', '-I', '-w', '-F'];
      for (const name of names) args.push('-e', name);
      const out = await git.run([...args, base, '--'], { allowFail: true });
      return out.split('\0').filter(Boolean).map((line) => line.slice(line.indexOf(':') + 1));
    },
  };
}

function searched(files: readonly string[], globs: readonly string[]): string {
  if (files.length === 0) return `no doc files matched ${globs.join(', ')}`;
  const shown = files.slice(0, 5).join(', ');
  return files.length > 5 ? `${shown} and ${files.length - 5} more` : shown;
}

export async function planDocSync(ctx: StepContext<DocSyncConfig>): Promise<StepOutcome> {
  const { deps } = ctx;
  const source = await changeSourceFor(ctx.event.change, deps.git, githubFor(ctx));
  // Local git speeds up reading and searching when the clone has both commits; the GitHub API path
  // reads through the ChangeSource alone.
  const local = ctx.event.change.kind === 'git' && Boolean(await deps.git.resolve(source.head).catch(() => ''));
  const search = local ? await gitSearch(deps.git, source.base) : undefined;
  const batch = search ? new GitBatchReader(deps.git.cwd) : undefined;
  try {
    return await planWith(ctx, withBatch(source, batch), search);
  } finally {
    batch?.close();
  }
}

/** The same change, with whole files read through one `git cat-file --batch` when the clone has them. */
function withBatch(change: ChangeSource, batch: GitBatchReader | undefined): ChangeSource {
  if (!batch) return change;
  return {
    base: change.base,
    head: change.head,
    diffChunks: () => change.diffChunks(),
    listHeadFiles: () => change.listHeadFiles(),
    changedFiles: () => change.changedFiles(),
    readHead: (path) => batch.read(change.head, path) ?? change.readHead(path),
    readBase: (path) => batch.read(change.base, path) ?? change.readBase(path),
  };
}

async function planWith(ctx: StepContext<DocSyncConfig>, change: ChangeSource, search: BaseSearch | undefined): Promise<StepOutcome> {
  const { config, deps, log } = ctx;
  // The RE2 engine is loaded only for a policy with custom rules.
  const rules = config.rules.length === 0 ? [] : config.rules.map((await import('./rules.ts')).compileRule);
  const allowed = allowMatcher(config.allow);

  const apiKey = deps.env[config.ai.api_key_env];
  const aiWanted = config.ai.enabled;
  const aiPossible = aiWanted && Boolean(apiKey);
  const budgetChars = config.ai.max_input_tokens * 4;

  // The docs (the head's tree) and the diff are independent: read them at the same time; each
  // changed file is read and parsed as soon as the diff has gone past it.
  const heads = config.builtin_detectors ? new HeadReader(change) : undefined;
  const [docs, guard] = await Promise.all([
    loadDocs({ listFiles: () => change.listHeadFiles(), read: (p) => change.readHead(p) }, config.docs),
    runGuard(change.diffChunks(), {
      config,
      rules,
      readHead: (p) => change.readHead(p),
      keepChars: aiPossible ? budgetChars * 2 : 0,
      onFile: heads && ((file) => heads.add(file)),
    }),
  ]);

  const include = pathMatcher(config.include);
  const exclude = pathMatcher(config.exclude);
  const env = config.builtin_detectors
    ? await newReads({
        change,
        heads,
        files: guard.files,
        readable: (p) => include(p) && !exclude(p),
        search,
      })
    : undefined;
  const generated = new Set(env?.generated ?? []);
  const ruleHits = await newRuleHits(guard.hits.filter((h) => !generated.has(h.file)), rules, change, guard.files, (p) => include(p) && !exclude(p));
  const hits = [...(env?.hits ?? []), ...ruleHits.filter((h) => !env?.hits.some((e) => e.name === h.name))];
  flagHunks(guard, hits);

  const decisions: Decision[] = [];
  const undocumented: FileHit[] = [];
  for (const hit of hits) {
    if (allowed(hit.name)) decisions.push({ subject: hit.name, decision: 'documented', reason: 'on the policy allowlist' });
    else if (docs.mentions(hit.name)) decisions.push({ subject: hit.name, decision: 'documented', reason: `mentioned in ${docs.files.join(', ')}` });
    else undocumented.push(hit);
  }
  const where = searched(docs.files, config.docs);
  const findings: Finding[] = undocumented.map((hit) => ({
    rule: hit.detector,
    source: hit.detector,
    severity: 'error',
    title: hit.name,
    file: hit.file,
    line: hit.line,
    message: `new ${hit.kind} ${hit.name} is not mentioned in the docs (searched ${where})${hit.others ? `; used in ${hit.others} more place${hit.others > 1 ? 's' : ''}` : ''}`,
  }));
  for (const f of findings) decisions.push({ subject: f.title, decision: 'undocumented', reason: `${f.file}:${f.line} (${f.rule})` });

  let ai: AiResult | undefined;
  let aiReason: string | undefined;
  if (!aiWanted) aiReason = 'AI disabled in the policy';
  else if (!apiKey) aiReason = `${config.ai.api_key_env} is not set`;
  else if (guard.addedLines === 0) aiReason = 'the change adds no readable lines';
  else {
    const prompt = buildPrompt(guard, docs.outline, config.ai);
    const client = await createGeminiClient(apiKey!, deps.endpoints.gemini, durationMs(config.ai.timeout));
    ai = await askGemini({ client, prompt, guard, config: config.ai, log, signal: ctx.signal });
    if (ai.status === 'unavailable') aiReason = ai.reason;
  }

  let aiAdded = 0;
  if (ai?.status === 'ok') {
    const byName = new Map(findings.map((f) => [f.title, f]));
    for (const found of ai.findings) {
      const existing = byName.get(found.name);
      if (existing) {
        // The AI may enrich a guard finding; it can never remove or downgrade one.
        existing.suggestion ??= found.suggested_doc;
        continue;
      }
      if (allowed(found.name) || docs.mentions(found.name)) continue;
      const finding: Finding = {
        rule: 'ai',
        source: 'ai',
        severity: config.ai.blocking ? 'error' : 'warning',
        title: found.name,
        file: found.file,
        line: found.line,
        message: `new ${found.kind} ${found.name} is not mentioned in the docs (searched ${where}): ${found.reason}`,
        suggestion: found.suggested_doc,
      };
      findings.push(finding);
      byName.set(found.name, finding);
      decisions.push({ subject: found.name, decision: 'undocumented', reason: `${found.file}:${found.line} (ai)` });
      aiAdded++;
    }
  }

  const limited = findings.slice(0, config.max_findings);
  const blocking = limited.filter((f) => f.severity === 'error').length;
  const engine = ai?.status === 'ok' ? 'regex+ai' : 'regex';
  const aiNote = ai?.status === 'ok' ? `AI added ${aiAdded}, dropped ${ai.dropped} pointing outside the change` : `AI not used: ${aiReason}`;
  const summary =
    findings.length === 0
      ? `no undocumented changes (${guard.files.length} files, ${guard.addedLines} added lines; ${aiNote})`
      : `${findings.length} undocumented change${findings.length > 1 ? 's' : ''}${findings.length > limited.length ? ` (${limited.length} listed, ${findings.length - limited.length} not shown: modules.doc_sync.max_findings is ${config.max_findings})` : ''} (${aiNote})`;
  if (aiWanted && ai?.status !== 'ok') log.warn({ why: aiReason }, 'AI not used; the guard\'s findings stand alone');

  return {
    verdict: blocking > 0 ? 'fail' : 'pass',
    summary,
    findings: limited,
    actions: [],
    decisions,
    data: {
      engine,
      ai: ai?.status === 'ok'
        ? { used: true, model: ai.model, added: aiAdded, dropped: ai.dropped, leftOut: ai.leftOut }
        : { used: false, reason: aiReason, leftOut: ai?.leftOut ?? [] },
      docsSearched: docs.files,
      files: guard.files,
      addedLines: guard.addedLines,
      truncated: findings.length > limited.length ? findings.length - limited.length : 0,
      // JS/TS files parsed on the parser thread and on the main thread (this process, so far).
      jsParsed: parserCounts(),
    },
  };
}
