// The shapes of what the CLI hands down to the engine and modules, apart from how they are built
// (src/deps.ts), so that the code that builds clients can name them without importing the builder.
import type { CloudClients } from './clouds-types.ts';
import type { RepoRef } from './events.ts';
import type { Git } from './git.ts';
import type { GitHubApi } from './github/api.ts';
import type { Logger } from './log.ts';
import type { Redactor } from './redact.ts';

export type { CloudClients } from './clouds-types.ts';

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

