import { parseArgs } from 'node:util';
import { DriftGuardError, ExitCode, describeError, isDriftGuardError } from '../src/errors.ts';
import { Redactor } from '../src/redact.ts';
import { inertText } from '../src/report/inert.ts';
import type { CommandSpec, ParsedArgs } from './args.ts';

export type { CommandSpec, ParsedArgs } from './args.ts';

const common = {
  policy: { type: 'string', short: 'p' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** pino's levels, lowest first; `silent` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const LOG_FORMATS = ['pretty', 'json'] as const;

/** What each option takes and does, for `--help`. */
const OPTION_HELP: Record<string, [string, string]> = {
  policy: ['FILE', 'the policy file (default: policy.yaml in this folder or the nearest parent up to the repository root; or DRIFTGUARD_POLICY)'],
  event: ['EVENT', 'pr_opened, pr_synchronize, pr_reopened, pr_closed, pr_comment, push, schedule, dispatch, downstream_result; for lifecycles also pr_labeled, pr_unlabeled, pr_review, check_run, workflow_run'],
  payload: ['FILE', 'a GitHub webhook payload to read the event from'],
  'dry-run': ['', 'decide and report, change nothing (the policy\'s dry_run: true does the same)'],
  base: ['REF', 'the base of a local pull request check (default: the default branch)'],
  head: ['REF', 'the head of a local pull request check (default: HEAD)'],
  format: ['FORMAT', 'the report on stdout: text, json or markdown (default: text)'],
  shard: ['i/n', 'the janitor and drift take only their i-th share of n'],
  provider: ['P', 'only this cloud: aws, azure or gcp'],
  region: ['R', 'only this region'],
  environment: ['E', 'only this environment (drift stacks, janitor environments)'],
  verdict: ['pass|fail', 'with --event downstream_result: the dependent\'s verdict'],
  'run-url': ['URL', 'with --event downstream_result: the dependent\'s run'],
  'verdict-dir': ['DIR', 'also write the verdict file (driftguard-verdict.json) there, for a publisher job'],
  'run-id': ['ID', 'the workflow run whose verdict artifact to publish'],
  artifact: ['DIR', 'a verdict artifact already downloaded'],
  dir: ['DIR', 'where to build the example repository (default: a new temporary folder)'],
  workflows: ['LIST', 'the workflow files to write: pr (PR check, fork publisher, override), janitor, drift (default: pr)'],
  force: ['', 'overwrite files that exist'],
  'log-level': ['LEVEL', `${LOG_LEVELS.join(', ')} (default: warn on a terminal, else the policy's log.level; or DRIFTGUARD_LOG_LEVEL)`],
  'log-format': ['FORMAT', 'pretty or json (default: pretty on a terminal, json in CI or when stderr is not a terminal; or DRIFTGUARD_LOG_FORMAT)'],
  quiet: ['', 'only errors on stderr and the verdict line on stdout'],
  help: ['', 'this help'],
};

/** The option lines of a command's `--help`. */
export function optionLines(options: CommandSpec['options'], own: CommandSpec['optionHelp'] = {}): string[] {
  const shared = new Set(Object.keys(common));
  const ordered = [...Object.entries(options).filter(([name]) => !shared.has(name)), ...Object.entries(options).filter(([name]) => shared.has(name))];
  const rows = ordered.map(([name, option]) => {
    const [value, text] = own[name] ?? OPTION_HELP[name] ?? ['', ''];
    return [`${option.short ? `-${option.short}, ` : '    '}--${name}${value ? ` ${value}` : ''}`, text] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, text]) => `  ${left.padEnd(width)}  ${text}`);
}

const scopeFlags = {
  shard: { type: 'string' },
  provider: { type: 'string' },
  region: { type: 'string' },
  environment: { type: 'string' },
} as const;

/** Every command, loaded only when it runs so that start-up stays fast. */
export const COMMANDS: Record<string, CommandSpec> = {
  run: {
    summary: 'Run the policy\'s workflow for one event and print the verdict',
    usage: 'driftguard run --event EVENT [--payload FILE] [--dry-run] [--policy FILE] [--base REF] [--head REF] [--format text|json|markdown] [--shard i/n] [--provider P] [--region R] [--environment E] [--verdict pass|fail --run-url URL] [--verdict-dir DIR]',
    options: { ...common, event: { type: 'string', short: 'e' }, payload: { type: 'string' }, 'dry-run': { type: 'boolean' }, base: { type: 'string' }, head: { type: 'string' }, format: { type: 'string', short: 'f' }, ...scopeFlags, verdict: { type: 'string' }, 'run-url': { type: 'string' }, 'verdict-dir': { type: 'string' } },
    load: () => import('./commands/run.ts'),
  },
  publish: {
    summary: 'Publish the verdict a read-only pull request run left as an artifact (forks), after checking it against GitHub',
    usage: 'driftguard publish [--run-id ID] [--artifact DIR] [--dry-run] [--policy FILE] [--format text|json|markdown]',
    options: { ...common, 'run-id': { type: 'string' }, artifact: { type: 'string' }, 'dry-run': { type: 'boolean' }, format: { type: 'string', short: 'f' } },
    load: () => import('./commands/publish.ts'),
  },
  janitor: {
    summary: 'Run the schedule workflow (the TTL janitor): same as run --event schedule',
    usage: 'driftguard janitor [--dry-run] [--shard i/n] [--provider aws|azure|gcp] [--region R] [--environment E] [--policy FILE] [--format text|json|markdown]',
    options: { ...common, 'dry-run': { type: 'boolean' }, format: { type: 'string', short: 'f' }, ...scopeFlags },
    load: () => import('./commands/janitor.ts'),
  },
  validate: {
    summary: 'Check a policy file and print every problem with file:line:col',
    usage: 'driftguard validate [FILE | --policy FILE]',
    options: { ...common },
    positionals: true,
    load: () => import('./commands/validate.ts'),
  },
  schema: {
    summary: 'Print the policy\'s JSON Schema (for editor completion)',
    usage: 'driftguard schema',
    options: { help: common.help },
    load: () => import('./commands/schema.ts'),
  },
  graph: {
    summary: 'Print the state machine built from the policy as a Mermaid diagram',
    usage: 'driftguard graph [--event EVENT | --lifecycle NAME] [--format mermaid|markdown] [--policy FILE]',
    options: { ...common, event: { type: 'string', short: 'e' }, format: { type: 'string', short: 'f' }, lifecycle: { type: 'string' } },
    optionHelp: { format: ['FORMAT', 'mermaid (the default), or markdown for a fenced ```mermaid block'], event: ['EVENT', 'only the route of this event'], lifecycle: ['NAME', 'draw this pull request lifecycle instead of the engine'] },
    load: () => import('./commands/graph.ts'),
  },
  lifecycle: {
    summary: 'Apply a GitHub event to the pull request lifecycles of the policy (labels, status comment, driftguard/lifecycle check)',
    usage: 'driftguard lifecycle [--event EVENT --payload FILE] [--dry-run] [--policy FILE]',
    options: { ...common, event: { type: 'string', short: 'e' }, payload: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    load: () => import('./commands/lifecycle.ts'),
  },
  drift: {
    summary: 'drift baseline: accept today\'s Terraform drift into the baseline file',
    usage: 'driftguard drift baseline [--policy FILE] [--environment E] [--region R]',
    options: { ...common, environment: { type: 'string' }, region: { type: 'string' } },
    positionals: true,
    load: () => import('./commands/drift.ts'),
  },
  standards: {
    summary: 'standards scan: check an organisation\'s repositories against the tiered standards; standards audit: list repositories with too many open drift issues',
    usage: 'driftguard standards scan [--org ORG] [--repo OWNER/NAME] [--domain process|code|infra] [--dry-run] [--shard i/n] [--policy FILE] [--format text|json|markdown] | driftguard standards audit [--org ORG] [--threshold N] [--dry-run]',
    options: { ...common, org: { type: 'string' }, repo: { type: 'string' }, domain: { type: 'string' }, 'dry-run': { type: 'boolean' }, shard: { type: 'string' }, threshold: { type: 'string' }, format: { type: 'string', short: 'f' } },
    positionals: true,
    optionHelp: {
      org: ['ORG', 'the organisation whose repositories are scanned or audited (default: modules.standards.org)'],
      repo: ['OWNER/NAME', 'scan: only this repository'],
      domain: ['D', 'scan: only this domain: process, code or infra'],
      shard: ['i/n', 'scan: only the i-th share of n of the repositories (by a hash of the name), for a matrix of jobs'],
      threshold: ['N', 'audit: list repositories with more than N open drift issues (default: modules.standards.audit.threshold)'],
      'dry-run': ['', 'print the issue writes, send none'],
    },
    load: () => import('./commands/standards.ts'),
  },
  init: {
    summary: 'Write a commented policy.yaml fitted to this repository, and the workflow files, pinned to this release',
    usage: 'driftguard init [--workflows pr,janitor,drift] [--dir DIR] [--dry-run] [--force]',
    options: { help: common.help, workflows: { type: 'string' }, dir: { type: 'string' }, 'dry-run': { type: 'boolean' }, force: { type: 'boolean' } },
    optionHelp: { dir: ['DIR', 'a folder of the repository (default: here); the files go to its root'], 'dry-run': ['', 'print what would be written, write nothing'] },
    load: () => import('./commands/init.ts'),
  },
  report: {
    summary: 'Build the governance dashboard: one static HTML file from the audit artifacts and janitor journals in a folder',
    usage: 'driftguard report [--audit-dir DIR] [--since DURATION] [--out FILE]',
    options: { help: common.help, quiet: common.quiet, 'audit-dir': { type: 'string' }, since: { type: 'string' }, out: { type: 'string', short: 'o' } },
    optionHelp: {
      'audit-dir': ['DIR', 'the folder of audit artifacts and journals, searched up to 4 folders deep (default: .artifacts)'],
      since: ['DURATION', 'only runs that started within this long, such as 30d or 12h (default: every run)'],
      out: ['FILE', 'the HTML file to write; artifact links are relative to it (default: report.html)'],
      quiet: ['', 'print nothing on success'],
    },
    load: () => import('./commands/report.ts'),
  },
  demo: {
    summary: 'Run a pull request check on a bundled example repository (no network, no token)',
    usage: 'driftguard demo [--format text|json|markdown] [--dir DIR]',
    options: { ...common, format: { type: 'string', short: 'f' }, dir: { type: 'string' } },
    load: () => import('./commands/demo.ts'),
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = [
    'DriftGuard: policy-driven governance for pull requests and cloud estates.',
    '',
    'Usage: driftguard <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, spec]) => `  ${name.padEnd(width)}  ${spec.summary}`),
    '',
    'Run "driftguard <command> --help" for a command\'s options.',
    'Exit codes: 0 pass, 1 blocked by policy, 2 bad usage or policy, 3 the run could not complete.',
  ];
  return `${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? ExitCode.usage : ExitCode.pass;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${(await import('../package.json', { with: { type: 'json' } })).default.version}\n`);
    return ExitCode.pass;
  }
  const spec = COMMANDS[name];
  if (!spec) {
    const { didYouMean } = await import('../src/suggest.ts');
    throw new DriftGuardError('usage', `unknown command "${name}"${didYouMean(name, Object.keys(COMMANDS))}; run "driftguard --help"`);
  }
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs({ args: rest, options: spec.options, allowPositionals: spec.positionals === true, strict: true }) as ParsedArgs;
  } catch (err) {
    throw new DriftGuardError('usage', `${(err as Error).message.replace(/\. To specify.*$/s, '')}\nusage: ${spec.usage}`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${spec.summary}\n\nusage: ${spec.usage}\n\noptions:\n${optionLines(spec.options, spec.optionHelp).join('\n')}\n`);
    return ExitCode.pass;
  }
  checkLogOptions(parsed.values, process.env);
  const command = await spec.load();
  return command.default(parsed);
}

/**
 * Refuses a log level or format that does not exist (bad usage, exit 2), from the flags or the
 * environment, before a command starts.
 * @throws DriftGuardError('usage') naming the flag or variable and the values it takes
 */
export function checkLogOptions(values: ParsedArgs['values'], env: Readonly<Record<string, string | undefined>>): void {
  const check = (value: unknown, where: string, allowed: readonly string[]) => {
    if (value !== undefined && (typeof value !== 'string' || !allowed.includes(value))) {
      throw new DriftGuardError('usage', `${where} must be one of ${allowed.join(', ')}, got "${String(value)}"`);
    }
  };
  check(values['log-level'], '--log-level', LOG_LEVELS);
  if (values['log-level'] === undefined) check(env.DRIFTGUARD_LOG_LEVEL || undefined, 'DRIFTGUARD_LOG_LEVEL', LOG_LEVELS);
  check(values['log-format'], '--log-format', LOG_FORMATS);
  if (values['log-format'] === undefined) check(env.DRIFTGUARD_LOG_FORMAT || undefined, 'DRIFTGUARD_LOG_FORMAT', LOG_FORMATS);
}

/**
 * Runs one command line and returns its exit code: the one place where typed errors become
 * messages and exit codes. Nothing below it calls process.exit.
 */
export async function runCommandLine(argv: string[]): Promise<number> {
  // The AWS SDK's notice about its own future Node.js support is not DriftGuard's to print.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const redactor = new Redactor(process.env);
  try {
    return await main(argv);
  } catch (err) {
    if (isDriftGuardError(err)) {
      // Messages quote paths and values the user gave: each line is shown inert (no terminal
      // escapes, no hidden characters), the lines themselves kept.
      const inert = (text: string) => text.split('\n').map((line) => inertText(line, 10_000)).join('\n');
      const details = err.details.map((d) => `  ${inert(d)}`).join('\n');
      process.stderr.write(redactor.scrub(`driftguard: ${inert(err.message)}\n${details ? `${details}\n` : ''}`));
      return err.exitCode;
    }
    process.stderr.write(redactor.scrub(`driftguard: internal error: ${inertText(describeError(err), 10_000)}\n`));
    if (process.env.DRIFTGUARD_DEBUG) process.stderr.write(redactor.scrub(`${(err as Error)?.stack ?? ''}\n`));
    return ExitCode.incomplete;
  }
}
