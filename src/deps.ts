import { defaultCloudClients } from './clouds.ts';
import type { CloudClients, Deps, Endpoints, TextStyle } from './deps-types.ts';
import { Git } from './git.ts';
import type { GitHubApi } from './github/api.ts';
import { createLogger } from './log.ts';
import { Redactor } from './redact.ts';

export type { CloudClients, Deps, Endpoints, ExecOptions, ExecResult, TextStyle } from './deps-types.ts';

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
