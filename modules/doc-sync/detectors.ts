/** A name a detector found on an added line. */
export interface Hit {
  name: string;
  line: number;
  detector: string;
  /** What kind of public surface: "environment variable", or a custom rule's kind. */
  kind: string;
}

export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const NAME = '([A-Z_][A-Z0-9_]*)';
const QUOTED = `(['"\`])${NAME}\\1`;

/** A detector that needs one line at a time. `quick` is a substring the line must hold first. */
export interface LineDetector {
  id: string;
  quick: readonly string[];
  pattern: RegExp;
  /** Capture group holding the name. */
  group: number;
}

const ext = (...list: string[]) => (path: string) => list.some((e) => path.toLowerCase().endsWith(e));
const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);

export const isJs = ext('.js', '.mjs', '.cjs', '.jsx', '.ts', '.mts', '.cts', '.tsx', '.vue', '.svelte', '.astro');
const isPython = ext('.py', '.pyi');
const isGo = ext('.go');
const isRuby = (p: string) => ext('.rb', '.rake', '.gemspec')(p) || ['Rakefile', 'Gemfile'].includes(base(p));
const isJvm = ext('.java', '.kt', '.kts', '.scala', '.groovy');
const isRust = ext('.rs');
const isCSharp = ext('.cs', '.csx');
const isPhp = ext('.php');
export const isDockerfile = (p: string) => /^(Dockerfile|Containerfile)(\..+)?$/i.test(base(p)) || p.toLowerCase().endsWith('.dockerfile');
export const isShell = (p: string) => ext('.sh', '.bash', '.zsh', '.ksh', '.envrc')(p) || base(p) === '.envrc';
export const isCompose = (p: string) => /^(docker-)?compose(\.[\w-]+)*\.ya?ml$/i.test(base(p)) || /\.compose\.ya?ml$/i.test(p);
export const isWorkflow = (p: string) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(p) || /(^|\/)action\.ya?ml$/.test(p);

const re = (source: string) => new RegExp(source, 'g');

/** Built-in line detectors per language, each keyed to the files it reads. */
export const LINE_DETECTORS: ReadonlyArray<{ files: (path: string) => boolean; detectors: readonly LineDetector[] }> = [
  {
    files: isJs,
    detectors: [
      { id: 'js.process-env', quick: ['process.env'], pattern: re(`process\\.env\\??\\.${NAME}\\b`), group: 1 },
      { id: 'js.process-env-index', quick: ['process.env'], pattern: re(`process\\.env(?:\\?\\.)?\\[\\s*${QUOTED}\\s*\\]`), group: 2 },
      { id: 'js.import-meta-env', quick: ['import.meta.env'], pattern: re(`import\\.meta\\.env\\??\\.${NAME}\\b`), group: 1 },
      { id: 'js.deno-env', quick: ['Deno.env'], pattern: re(`Deno\\.env\\.get\\(\\s*${QUOTED}`), group: 2 },
      { id: 'js.bun-env', quick: ['Bun.env'], pattern: re(`Bun\\.env\\??\\.${NAME}\\b`), group: 1 },
      { id: 'js.bun-env-index', quick: ['Bun.env'], pattern: re(`Bun\\.env\\[\\s*${QUOTED}\\s*\\]`), group: 2 },
    ],
  },
  {
    files: isPython,
    detectors: [
      { id: 'python.environ', quick: ['environ'], pattern: re(`\\benviron(?:\\[\\s*|\\.(?:get|setdefault|pop)\\(\\s*)${QUOTED}`), group: 2 },
      { id: 'python.getenv', quick: ['getenv'], pattern: re(`\\bgetenv\\(\\s*${QUOTED}`), group: 2 },
    ],
  },
  { files: isGo, detectors: [{ id: 'go.getenv', quick: ['os.'], pattern: re(`\\bos\\.(?:Getenv|LookupEnv)\\(\\s*"${NAME}"`), group: 1 }] },
  { files: isRuby, detectors: [{ id: 'ruby.env', quick: ['ENV'], pattern: re(`\\bENV(?:\\[\\s*|\\.fetch\\(\\s*)${QUOTED}`), group: 2 }] },
  { files: isJvm, detectors: [{ id: 'jvm.getenv', quick: ['getenv'], pattern: re(`System\\.getenv\\(\\s*"${NAME}"`), group: 1 }] },
  {
    files: isRust,
    detectors: [
      { id: 'rust.env-var', quick: ['env::var'], pattern: re(`\\benv::var(?:_os)?\\(\\s*"${NAME}"`), group: 1 },
      { id: 'rust.env-macro', quick: ['env!('], pattern: re(`\\b(?:option_)?env!\\(\\s*"${NAME}"`), group: 1 },
    ],
  },
  {
    files: isCSharp,
    detectors: [{ id: 'csharp.getenv', quick: ['GetEnvironmentVariable'], pattern: re(`Environment\\.GetEnvironmentVariable\\(\\s*"${NAME}"`), group: 1 }],
  },
  {
    files: isPhp,
    detectors: [
      { id: 'php.getenv', quick: ['getenv'], pattern: re(`\\bgetenv\\(\\s*${QUOTED}`), group: 2 },
      { id: 'php.env-superglobal', quick: ['$_ENV'], pattern: re(`\\$_ENV\\[\\s*${QUOTED}\\s*\\]`), group: 2 },
    ],
  },
];

/**
 * Names the shell, the login or the operating system sets in every process: never a project's
 * input. Names users or CI services set (CI, GITHUB_*, XDG_*, EDITOR) are inputs like any other,
 * as they are when JS reads them.
 */
export const SHELL_BUILTINS = new Set([
  'HOME', 'PATH', 'PWD', 'OLDPWD', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'IFS', 'UID', 'EUID',
  'GID', 'PPID', 'HOSTNAME', 'HOSTTYPE', 'OSTYPE', 'MACHTYPE', 'TMPDIR', 'RANDOM', 'SRANDOM', 'LINENO', 'SECONDS', 'EPOCHSECONDS',
  'EPOCHREALTIME', 'REPLY', 'OPTARG', 'OPTIND', 'OPTERR', 'BASH', 'BASHPID', 'BASH_SOURCE', 'BASH_VERSION', 'BASH_VERSINFO', 'BASH_REMATCH',
  'BASH_LINENO', 'BASH_ARGC', 'BASH_ARGV', 'BASH_SUBSHELL', 'BASH_COMMAND', 'FUNCNAME', 'PIPESTATUS', 'SHLVL', 'PS1', 'PS2', 'PS3', 'PS4',
  'COLUMNS', 'LINES', 'HISTFILE', 'ZSH_VERSION', 'KSH_VERSION',
]);

const JS_DESTRUCTURE_OPEN = /\b(?:const|let|var)\s*\{([^}]*)$/;
const JS_DESTRUCTURE_ONE = /\b(?:const|let|var)\s*\{([^}]*)\}\s*=\s*(?:process\.env|Bun\.env|import\.meta\.env)\b/g;
const JS_DESTRUCTURE_CLOSE = /^([^}]*)\}\s*=\s*(?:process\.env|Bun\.env|import\.meta\.env)\b/;
const MAX_DESTRUCTURE_LINES = 64;

function destructuredNames(segment: string): string[] {
  return segment
    .split(',')
    .map((part) => part.trim().replace(/^\.\.\..*$/, '').split(/[:=]/)[0]!.trim().replace(/^['"]|['"]$/g, ''))
    .filter((name) => ENV_NAME.test(name));
}

const DOCKER_ENV = /^\s*ENV\s+(.*)$/i;
const DOCKER_ARG = /^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)/i;
const DOCKER_PAIR = /([A-Za-z_][A-Za-z0-9_]*)=(?:"(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
const SHELL_REF = /\$\{([A-Z_][A-Z0-9_]*)(?:(?::?[-=?+]|#|%|\/|:)[^}]*)?\}/g;
const SHELL_ASSIGN = /(?:^|[;&|]\s*|\b(?:export|local|declare|readonly|typeset)\s+(?:-\w+\s+)*)([A-Za-z_][A-Za-z0-9_]*)=/g;
const SHELL_READ_FOR = /\b(?:read(?:\s+-\w+)*|for)\s+([A-Za-z_][A-Za-z0-9_]*)/g;

/** Scans one file's diff lines; multi-line constructs (destructuring, ENV continuations) keep small state. */
export class FileScanner {
  private readonly lineDetectors: LineDetector[];
  private readonly js: boolean;
  private readonly docker: boolean;
  private readonly shell: boolean;
  private pending: { lines: Array<{ line: number; text: string; added: boolean }> } | undefined;
  private dockerContinues = false;
  private readonly shellAssigned = new Set<string>();
  private readonly shellRefs: Hit[] = [];

  constructor(readonly path: string) {
    this.lineDetectors = LINE_DETECTORS.filter((group) => group.files(path)).flatMap((group) => group.detectors);
    this.js = isJs(path);
    this.docker = isDockerfile(path);
    this.shell = isShell(path);
  }

  get active(): boolean {
    return this.lineDetectors.length > 0 || this.docker || this.shell;
  }

  /** Reads one line (added or context); returns what it found on added lines. */
  line(line: number, text: string, added: boolean): Hit[] {
    const hits: Hit[] = [];
    if (added) {
      for (const detector of this.lineDetectors) {
        if (!detector.quick.some((q) => text.includes(q))) continue;
        detector.pattern.lastIndex = 0;
        for (const match of text.matchAll(detector.pattern)) {
          const name = match[detector.group];
          if (name) hits.push({ name, line, detector: detector.id, kind: 'environment variable' });
        }
      }
    }
    if (this.js) this.destructuring(line, text, added, hits);
    if (this.docker) this.dockerfile(line, text, added, hits);
    if (this.shell) this.shellLine(line, text, added);
    return hits;
  }

  /** Learns the names a shell file assigns itself, from its whole text at the head of the change. */
  learnAssignments(text: string): void {
    for (const line of text.split('\n')) this.shellLine(0, line, false);
  }

  /** Names found only once the whole file has been read (shell references not assigned in the file). */
  finish(): Hit[] {
    return this.shellRefs.filter((hit) => !this.shellAssigned.has(hit.name));
  }

  private destructuring(line: number, text: string, added: boolean, hits: Hit[]): void {
    if (!this.pending) {
      // Cheap substring checks first: this runs on every line of every JS/TS file in the change.
      const open = text.indexOf('{');
      if (open === -1 || !(text.includes('const') || text.includes('let') || text.includes('var'))) return;
      if (added && text.includes('env', open) && text.includes('}', open)) {
        for (const match of text.matchAll(JS_DESTRUCTURE_ONE)) {
          for (const name of destructuredNames(match[1]!)) hits.push({ name, line, detector: 'js.destructure-env', kind: 'environment variable' });
        }
      }
      if (text.includes('}', open)) return;
      const start = JS_DESTRUCTURE_OPEN.exec(text);
      if (start) this.pending = { lines: [{ line, text: start[1]!, added }] };
      return;
    }
    const close = text.includes('}') ? JS_DESTRUCTURE_CLOSE.exec(text) : null;
    if (close) {
      for (const held of [...this.pending.lines, { line, text: close[1]!, added }]) {
        if (!held.added) continue;
        for (const name of destructuredNames(held.text)) hits.push({ name, line: held.line, detector: 'js.destructure-env', kind: 'environment variable' });
      }
      this.pending = undefined;
    } else if (text.includes('}') || text.includes('{') || this.pending.lines.length >= MAX_DESTRUCTURE_LINES) {
      this.pending = undefined;
    } else {
      this.pending.lines.push({ line, text, added });
    }
  }

  private dockerfile(line: number, text: string, added: boolean, hits: Hit[]): void {
    const continued = this.dockerContinues;
    this.dockerContinues = false;
    const env = DOCKER_ENV.exec(text);
    const body = env ? env[1]! : continued ? text : undefined;
    if (body !== undefined) {
      this.dockerContinues = /\\\s*$/.test(text);
      if (!added) return;
      if (body.includes('=')) {
        for (const match of body.matchAll(DOCKER_PAIR)) {
          if (ENV_NAME.test(match[1]!)) hits.push({ name: match[1]!, line, detector: 'dockerfile.env', kind: 'environment variable' });
        }
      } else if (env) {
        const legacy = /^([A-Za-z_][A-Za-z0-9_]*)\s/.exec(`${body} `)?.[1];
        if (legacy && ENV_NAME.test(legacy)) hits.push({ name: legacy, line, detector: 'dockerfile.env', kind: 'environment variable' });
      }
      return;
    }
    const arg = added ? DOCKER_ARG.exec(text) : null;
    if (arg && ENV_NAME.test(arg[1]!)) hits.push({ name: arg[1]!, line, detector: 'dockerfile.arg', kind: 'build argument' });
  }

  private shellLine(line: number, text: string, added: boolean): void {
    const code = text.replace(/(^|\s)#.*$/, '');
    for (const match of code.matchAll(SHELL_ASSIGN)) this.shellAssigned.add(match[1]!);
    for (const match of code.matchAll(SHELL_READ_FOR)) this.shellAssigned.add(match[1]!);
    if (!added || !code.includes('${')) return;
    for (const match of code.matchAll(SHELL_REF)) {
      const name = match[1]!;
      if (!SHELL_BUILTINS.has(name)) this.shellRefs.push({ name, line, detector: 'shell.parameter', kind: 'environment variable' });
    }
  }
}
