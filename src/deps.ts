import { defaultCloudClients, type CloudClients } from './clouds.ts';
import type { RepoRef } from './events.ts';
import { Git } from './git.ts';
import type { GitHubApi } from './github/api.ts';
import { createLogger, type Logger } from './log.ts';
import { Redactor } from './redact.ts';

/** Base URLs of external services, overridable for GitHub Enterprise, S3-compatible stores and tests. */
export interface Endpoints {
  gemini?: string;
  github?: string;
}

/**
 * Everything with an outside effect, built once by the CLI and handed down: clock, environment,
 * logger, redactor, git. Modules build no clients of their own from globals.
 */
export interface Deps {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  now(): Date;
  log: Logger;
  redactor: Redactor;
  git: Git;
  endpoints: Endpoints;
  /** Writes the human-facing report (stdout in the CLI). */
  out(text: string): void;
  /** How the text report looks: colour (a terminal, NO_COLOR / FORCE_COLOR), or only the verdict line (--quiet). */
  style: TextStyle;
  /** The GitHub API for a repository (Octokit, loaded on first use), with the token in `tokenEnv`. */
  github(repo: RepoRef, tokenEnv?: string): Promise<GitHubApi>;
  /** Cloud SDK clients for the janitor, loaded on first use. */
  clouds: CloudClients;
  /** Runs a command (terraform), with a time limit. */
  exec(command: string, args: readonly string[], options: ExecOptions): Promise<ExecResult>;
}

export interface ExecOptions {
  cwd: string;
  timeoutMs: number;
  env?: Record<string, string | undefined>;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the command could not be started at all (ENOENT, ...). */
  spawnError?: string;
}

export interface TextStyle {
  color?: boolean;
  quiet?: boolean;
}

export interface DepsOptions {
  style?: TextStyle;
  env?: Record<string, string | undefined>;
  cwd?: string;
  now?: () => Date;
  logLevel?: string;
  logStream?: { write(line: string): unknown };
  pretty?: boolean;
  out?: (text: string) => void;
  endpoints?: Endpoints;
}

export function createDeps(options: DepsOptions = {}): Deps {
  const env = options.env ?? process.env;
  const redactor = new Redactor(env);
  const cwd = options.cwd ?? process.cwd();
  const log = createLogger({
    level: options.logLevel ?? env.DRIFTGUARD_LOG_LEVEL ?? 'info',
    redactor,
    stream: options.logStream,
    pretty: options.pretty ?? false,
  });
  const clients = new Map<string, Promise<GitHubApi>>();
  const deps: Deps = {
    env,
    cwd,
    now: options.now ?? (() => new Date()),
    log,
    redactor,
    git: new Git(cwd),
    endpoints: {
      gemini: env.DRIFTGUARD_GEMINI_URL,
      github: env.GITHUB_API_URL,
      ...options.endpoints,
    },
    out: options.out ?? ((text) => process.stdout.write(redactor.scrub(text))),
    style: options.style ?? {},
    clouds: undefined as unknown as CloudClients,
    exec: (command, args, execOptions) => import('./exec.ts').then(({ run }) => run(command, args, execOptions)),
    github(repo, tokenEnv = 'GITHUB_TOKEN') {
      const key = `${repo.fullName} ${tokenEnv}`;
      let client = clients.get(key);
      if (!client) {
        client = import('./github/api.ts').then(({ createGitHubApi }) => createGitHubApi(deps, repo, tokenEnv));
        clients.set(key, client);
      }
      return client;
    },
  };
  deps.clouds = defaultCloudClients(deps);
  return deps;
}
