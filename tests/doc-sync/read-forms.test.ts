import { describe, expect, it } from 'vitest';
import { constantsOf, languageOf, prepare, readsOf } from '../../modules/doc-sync/reads.ts';

/** Names a file reads, found the way the doc synchronizer finds them (constants shared across files). */
async function reads(path: string, text: string, others: Record<string, string> = {}): Promise<string[]> {
  const file = await prepare(path, text);
  if (!file) return [];
  const all = [file, ...(await Promise.all(Object.entries(others).map(([p, t]) => prepare(p, t)))).filter((f) => f !== undefined)];
  return [...new Set(readsOf(file, constantsOf(all)).map((h) => h.name))].sort();
}

/** [form, file, text, names read] */
const JS_POSITIVE: Array<[string, string, string, string[]]> = [
  ['process.env.X', 'a.js', 'use(process.env.A_ONE);', ['A_ONE']],
  ["process.env['X']", 'a.js', "use(process.env['A_TWO'], process.env[`A_TICK`]);", ['A_TICK', 'A_TWO']],
  ['process.env?.X', 'a.js', 'use(process.env?.A_OPT, process?.env?.A_OPT2);', ['A_OPT', 'A_OPT2']],
  ['process.env[K] with a module constant', 'a.js', "const K = 'A_CONST';\nuse(process.env[K]);", ['A_CONST']],
  ['process.env[K] with exports.K', 'a.js', "exports.KEY = 'A_EXPORTED';\nuse(process.env[exports.KEY]);", ['A_EXPORTED']],
  ['process.env[K] with an imported constant', 'a.ts', "import { KEY } from './keys';\nuse(process.env[KEY]);", ['A_IMPORTED']],
  ['const { env } = process', 'a.js', 'const { env } = process;\nuse(env.A_DESTRUCTURED_ENV);', ['A_DESTRUCTURED_ENV']],
  ["import { env } from 'node:process'", 'a.mjs', "import { env } from 'node:process';\nuse(env.A_NAMED_IMPORT);", ['A_NAMED_IMPORT']],
  ["import process from 'process'", 'a.mjs', "import proc from 'process';\nuse(proc.env.A_DEFAULT_IMPORT);", ['A_DEFAULT_IMPORT']],
  ['esbuild import_process.default.env.X', 'dist/a.js', 'var import_process = __toESM(require("process"));\nuse(import_process.default.env.A_ESBUILD);', ['A_ESBUILD']],
  ['tsc (0, process_1.env).X', 'lib/a.js', 'const process_1 = require("process");\nuse((0, process_1.env).A_TSC);', ['A_TSC']],
  ['env.hasOwnProperty(X)', 'a.js', "const env = process.env;\nif (env.hasOwnProperty('A_OWN')) go();", ['A_OWN']],
  ["'X' in env", 'a.js', "const env = process.env;\nif ('A_IN' in env) go();", ['A_IN']],
  ['destructuring over lines, with defaults and renames', 'a.js', 'const {\n  A_D1,\n  A_D2: two,\n  A_D3 = "x",\n  ...rest\n} = process.env;', ['A_D1', 'A_D2', 'A_D3']],
  ['destructuring with a type annotation', 'a.ts', 'const { A_TYPED }: NodeJS.ProcessEnv = process.env;', ['A_TYPED']],
  ['an injected env parameter', 'a.ts', 'export const p = { detect({ env }: { env: Env }) { return env.A_INJECTED; } };', ['A_INJECTED']],
  ['a parameter defaulting to process.env', 'a.js', 'function f(env = process.env) { return env.A_DEFAULT_PARAM; }', ['A_DEFAULT_PARAM']],
  ['a parameter defaulting to process', 'a.js', 'const f = (p = process) => p?.env?.A_PROC_PARAM;', ['A_PROC_PARAM']],
  ['the environment passed to a function of the file', 'a.js', 'const f = ({ A_PASSED }) => A_PASSED;\nfunction g(e) { return e.A_PASSED_TWO; }\nf(process.env); g(process.env);', ['A_PASSED', 'A_PASSED_TWO']],
  ['an alias through ?? and ||', 'a.js', 'const env = options.env ?? process.env;\nconst e2 = process.env || {};\nuse(env.A_NULLISH, e2.A_OR);', ['A_NULLISH', 'A_OR']],
  ['exports.env = process.env', 'a.js', 'exports.env = process.env;\nuse(exports.env.A_EXPORTS_ENV);', ['A_EXPORTS_ENV']],
  ['import.meta.env.X and [X]', 'a.ts', "use(import.meta.env.VITE_A, import.meta.env['VITE_B']);", ['VITE_A', 'VITE_B']],
  ['Deno.env.get', 'a.ts', "use(Deno.env.get('A_DENO'));", ['A_DENO']],
  ['Bun.env.X', 'a.ts', 'use(Bun.env.A_BUN);', ['A_BUN']],
  ['globalThis.process.env.X', 'a.js', 'use(globalThis.process?.env?.A_GLOBAL);', ['A_GLOBAL']],
  ['a JSX file', 'a.jsx', 'export const C = () => <div>{process.env.A_JSX}</div>;', ['A_JSX']],
  ['a TSX file with generics', 'a.tsx', 'const f = <T,>(x: T) => x;\nexport const C = () => <b>{f(process.env.A_TSX as string)}</b>;', ['A_TSX']],
  ['minified', 'dist/a.min.cjs', 'var a=process.env,b=function(e){return e.A_MIN_B};a.A_MIN_A;b(a);', ['A_MIN_A', 'A_MIN_B']],
  ['a node shebang script without extension', 'bin/tool', '#!/usr/bin/env node\nuse(process.env.A_BIN);', ['A_BIN']],
];

const JS_NEGATIVE: Array<[string, string, string]> = [
  ['a comment', 'a.js', '// process.env.N_COMMENT\n/* process.env.N_BLOCK */ x();'],
  ['a string that contains code', 'a.js', 'const s = "process.env.N_STRING";\nconst t = `process.env.N_TEMPLATE`;'],
  ['a write', 'a.js', "process.env.N_WRITE = '1';\nprocess.env['N_WRITE_INDEX'] = '2';\ndelete process.env.N_DELETE;"],
  ['an object that is not the environment', 'a.js', 'const { N_CONFIG } = config;\nuse(options.env.N_OTHER, cfg.N_CFG);'],
  ['an env object passed to a child process', 'a.js', "spawn('x', [], { env: { ...process.env, N_CHILD: '1' } });"],
  ['lowercase and dynamic names', 'a.js', 'use(process.env.lower_case, process.env[name], process.env[`A_${x}`]);'],
  ['an env parameter that is not destructured from an object', 'a.js', 'function f(env) { return env.N_UNKNOWN_PARAM; }'],
  ['a method of process.env', 'a.js', 'Object.keys(process.env); process.env.hasOwnProperty;'],
];

describe('JS/TS read forms (parsed)', () => {
  it.each(JS_POSITIVE)('reads %s', async (_, path, text, expected) => {
    const others: Record<string, string> = path === 'a.ts' ? { 'keys.ts': "export const KEY = 'A_IMPORTED';" } : {};
    expect(await reads(path, text, others)).toEqual(expected);
  });
  it.each(JS_NEGATIVE)('does not read %s', async (_, path, text) => {
    expect(await reads(path, text)).toEqual([]);
  });
  it('gives the line of each read', async () => {
    const file = (await prepare('a.ts', 'const a = 1;\n\nconst {\n  L_ONE,\n} = process.env;\nuse(process.env.L_TWO);\n'))!;
    expect(readsOf(file).map((h) => [h.name, h.line])).toEqual([['L_ONE', 4], ['L_TWO', 6]]);
  });
});

const OTHER_POSITIVE: Array<[string, string, string, string[], Record<string, string>?]> = [
  ['Python os.environ[...]', 'app.py', 'import os\nx = os.environ["P_INDEX"]\n', ['P_INDEX']],
  ['Python .get / .setdefault / .pop', 'app.py', "os.environ.get('P_GET')\nos.environ.setdefault('P_SET', '1')\nos.environ.pop('P_POP', None)\n", ['P_GET', 'P_POP', 'P_SET']],
  ['Python os.getenv', 'app.py', 'os.getenv("P_GETENV")\n', ['P_GETENV']],
  ['Python from os import environ, getenv', 'app.py', 'from os import environ, getenv\nenviron["P_BARE"]\ngetenv("P_BARE_GETENV")\n', ['P_BARE', 'P_BARE_GETENV']],
  ['Python aliases of os.environ', 'app.py', 'import os\nENV = os.environ\nfrom os import environ as E\nENV.get("P_ALIAS")\nE["P_ALIAS_AS"]\n', ['P_ALIAS', 'P_ALIAS_AS']],
  ['Python "X" in os.environ', 'app.py', 'if "P_IN" in os.environ: pass\n', ['P_IN']],
  ['Python by shebang', 'bin/tool', '#!/usr/bin/env python3\nimport os\nos.getenv("P_SHEBANG")\n', ['P_SHEBANG']],
  ['shell $X, ${X}, ${X:-d}', 'run.sh', 'echo $S_PLAIN "${S_BRACED}" "${S_DEFAULT:-x}"\n', ['S_BRACED', 'S_DEFAULT', 'S_PLAIN']],
  ['shell by shebang, no extension', 'bin/deploy', '#!/bin/sh\necho "$S_SHEBANG"\n', ['S_SHEBANG']],
  ['shell by env bash shebang', 'scripts/release', '#!/usr/bin/env bash\necho "$S_ENV_BASH"\n', ['S_ENV_BASH']],
  ['shell: read before it is assigned', 'run.sh', '[ -z "$S_INPUT" ] && S_INPUT=default\nS_SELF="${S_SELF:-x}"\necho "$S_INPUT"\n', ['S_INPUT', 'S_SELF']],
  ['Go os.Getenv / os.LookupEnv', 'main.go', 'package main\nfunc main() { os.Getenv("G_A"); os.LookupEnv("G_B") }\n', ['G_A', 'G_B']],
  ['Go "os" imported both plainly and under an alias', 'main.go', 'package main\nimport (\n  "fmt"\n  o "os"\n  "os"\n)\nfunc main() { fmt.Println(os.Getenv("G_PLAIN"), o.Getenv("G_ALIASED")) }\n', ['G_ALIASED', 'G_PLAIN']],
  ['shell $(( N += 1 )) reads N first', 'run.sh', 'echo $(( S_COUNT += 1 ))\n', ['S_COUNT']],
  ['Python import os as o, a call over several lines', 'app.py', 'import os as o\nx = o.environ.get(\n    "P_MULTI",\n    "d",\n)\ny = o.getenv(\n  \'P_MULTI_GETENV\')\n', ['P_MULTI', 'P_MULTI_GETENV']],
  ['Python a module constant as the key', 'app.py', 'import os\nKEY = "P_KEY_CONST"\nos.environ.get(KEY)\nos.environ[KEY]\n', ['P_KEY_CONST']],
  ['Python a constant from another changed module', 'app.py', 'import os\nfrom .settings import KEY\nos.getenv(KEY)\n', ['P_SHARED_CONST'], { 'settings.py': 'KEY = "P_SHARED_CONST"\n' }],
  ['Python += reads before it writes, f-string interpolation reads', 'app.py', "import os\nos.environ['P_AUG'] += ':x'\nmsg = f\"{os.environ['P_FSTRING']}\"\n", ['P_AUG', 'P_FSTRING']],
  ['Python alias of an alias, "not in"', 'app.py', 'import os\nenv = os.environ\nE = env\nif "P_NOT_IN" not in E: E.get("P_ALIAS2")\n', ['P_ALIAS2', 'P_NOT_IN']],
  ['Go import alias, dot import, multi-line call', 'main.go', 'package main\nimport (\n  o "os"\n)\nfunc main() {\n  o.Getenv(\n    "G_ALIAS",\n  )\n}\n', ['G_ALIAS']],
  ['Go a const as the key, a grouped const, a raw string', 'main.go', 'package main\nimport "os"\nconst (\n  envKey = "G_CONST"\n  other  = `G_RAW`\n)\nfunc main() { os.Getenv(envKey); os.LookupEnv(other) }\n', ['G_CONST', 'G_RAW']],
  ['Go a const from another changed file, syscall.Getenv, os.ExpandEnv', 'cmd/main.go', 'package main\nimport ("os"; "syscall"; "example.com/x/config")\nfunc main() { os.Getenv(config.EnvToken); syscall.Getenv("G_SYSCALL"); os.ExpandEnv("$G_EXP_A:${G_EXP_B}") }\n', ['G_EXP_A', 'G_EXP_B', 'G_PKG_CONST', 'G_SYSCALL'], { 'config/config.go': 'package config\nconst EnvToken = "G_PKG_CONST"\n' }],
  ['shell ${X:=d} reads then assigns, ${#X}, ${X[@]}, $(( X + 1 ))', 'run.sh', ': "${S_ASSIGN_DEFAULT:=d}"\necho "$S_ASSIGN_DEFAULT" ${#S_LEN} "${S_ARR[@]}" $(( S_ARITH + 1 ))\n', ['S_ARITH', 'S_ARR', 'S_ASSIGN_DEFAULT', 'S_LEN']],
  ['shell X=1 cmd sets X for that command only', 'run.sh', 'S_PREFIX=1 make\necho "$S_PREFIX"\n', ['S_PREFIX']],
  ['shell an unquoted here-document expands', 'run.sh', 'cat <<EOF\n$S_HEREDOC\nEOF\n', ['S_HEREDOC']],
  ['shell a read inside a function defined before the assignment', 'run.sh', 'f() { echo "$S_IN_FN"; }\nf\n', ['S_IN_FN']],
  ['shell a function called before the assignment its read depends on', 'run.sh', 'abort() { printf "${S_RED}%s" "$1"; exit 1; }\n[ -n "$1" ] || abort "usage"\nreadonly S_RED="\\033[31m"\n', ['S_RED']],
  ['shell a function that only a trap or another file calls reads what the file never assigns', 'lib.bash', 'cleanup() { rm -rf "$S_LIB_TMP" "$S_WORK"; }\ntrap cleanup EXIT\nS_WORK=$(mktemp -d)\n', ['S_LIB_TMP']],
  ['shell [[ -v X ]], [ -v X ] and test -v X ask whether X is set', 'run.sh', 'if [[ -v S_DEBUG ]]; then set -x; fi\n[ -v S_TRACE ] && echo\ntest -v S_VERBOSE || :\nS_MINE=1\n[[ -v S_MINE ]] && echo\n', ['S_DEBUG', 'S_TRACE', 'S_VERBOSE']],
  ['shell names users or CI set are inputs, as in JS', 'run.sh', 'echo "${XDG_CONFIG_HOME:-$HOME/.config}" "$CI" "$GITHUB_SHA"\n', ['CI', 'GITHUB_SHA', 'XDG_CONFIG_HOME']],
  ['Dockerfile ENV and ARG', 'Dockerfile', 'ARG D_ARG\nFROM x\nENV D_ENV=1 D_TWO=2\n', ['D_ARG', 'D_ENV', 'D_TWO']],
  ['compose environment map', 'compose.yaml', 'services:\n  a:\n    environment:\n      C_MAP: "1"\n', ['C_MAP']],
  ['compose environment list', 'docker-compose.yml', 'services:\n  a:\n    environment:\n      - C_LIST=1\n      - C_BARE\n', ['C_BARE', 'C_LIST']],
  ['compose environment flow map and list', 'compose.yml', 'services:\n  a: { environment: { C_FLOW: 1 } }\n  b:\n    environment: [C_FLOW_LIST=2]\n', ['C_FLOW', 'C_FLOW_LIST']],
];

const OTHER_NEGATIVE: Array<[string, string, string]> = [
  ['Python comments and strings that contain code', 'app.py', "# os.environ['N_COMMENT']\ns = \"os.environ['N_STRING']='%s'\"\nt = '''os.getenv(\"N_TRIPLE\")'''\n"],
  ['Python writes', 'app.py', "os.environ['N_WRITE'] = '1'\n"],
  ['shell: a name the script only assigns, builtins, single quotes, comments', 'run.sh', "S_OWN=1\necho \"$S_OWN\" \"$HOME\" '$N_SINGLE'\n# echo $N_COMMENT\nfor S_ITEM in a; do echo \"$S_ITEM\"; done\n"],
  ['a file with no shebang and no extension', 'LICENSE', 'echo $N_NOT_A_SCRIPT process.env.N_NOT_JS\n'],
  ['Python del, a tuple target, a for target, an f-string key, bytes', 'app.py', "import os\ndel os.environ['N_DEL']\nos.environ['N_TUPLE'], x = 1, 2\nos.getenv(f'N_F')\nos.getenv(b'N_BYTES')\n"],
  ['Python a key that is not a constant of the module', 'app.py', 'import os\ndef f(key):\n    return os.getenv(key)\n'],
  ['shell a quoted here-document, ${!X}, local, read, export of an assigned name', 'run.sh', "cat <<'EOF'\n$N_QUOTED_HEREDOC\nEOF\nf() { local N_LOCAL; echo \"$N_LOCAL\"; }\nread -r -p 'name? ' N_READ\necho \"$N_READ\" \"${!N_INDIRECT}\"\nN_EXPORTED=1\nexport N_EXPORTED\necho $N_EXPORTED\n"],
  ['shell a function defined first reads what the top level assigns before calling it', 'bin/tool', '#!/usr/bin/env bash\nlog() { printf "${N_CYAN}%s${N_RESET}" "$1"; }\nverbose() { [[ "$N_SHOW" == true ]] && log "$1"; }\nif [ -t 1 ]; then readonly N_CYAN=x N_RESET=y; else readonly N_CYAN= N_RESET=; fi\nN_SHOW=false\nverbose hi\n'],
  ['shell a trap handler reads what the top level assigned', 'run.sh', 'on_exit() { rm -f "$N_TRACE"; }\ntrap on_exit EXIT\nN_TRACE=$(mktemp)\n'],
  ['shell a caller\'s local is seen by the function it calls', 'run.sh', 'inner() { echo "$N_DYN"; }\nouter() { local N_DYN=1; inner; }\nouter\n'],
  ['shell names that builtins assign: printf -v, read -ra, mapfile, readarray, getopts, let, $(( N = 1 ))', 'run.sh', 'printf -v N_PRINTF "%s" x\nread -ra N_ARR <<< "a b"\nmapfile -t N_MAP < f\nreadarray -t N_RA < f\nwhile getopts ab N_OPT; do :; done\nlet N_LET=1\necho $(( N_ARITH = 1, N_ARITH + 1 ))\necho "$N_PRINTF ${N_ARR[0]} ${N_MAP[0]} ${N_RA[0]} $N_OPT $N_LET"\n'],
  ['Go os.Setenv, a local function named Getenv, a non-constant key', 'main.go', 'package main\nimport "os"\nfunc Getenv(k string) string { return "" }\nfunc main(k string) { os.Setenv("N_SET", "1"); Getenv("N_LOCAL_FN"); os.Getenv(k) }\n'],
  ['Go strings and comments', 'main.go', 'package main\n// os.Getenv("N_GO_COMMENT")\nvar s = `os.Getenv("N_GO_RAW")`\n'],
  ['workflow ${{ secrets.X }} and ${{ vars.X }}', '.github/workflows/ci.yml', 'on: push\njobs:\n  a:\n    steps:\n      - run: echo ${{ secrets.N_SECRET }} ${{ vars.N_VAR }}\n'],
];

describe('other languages', () => {
  it.each(OTHER_POSITIVE)('reads %s', async (_, path, text, expected, others) => {
    expect(await reads(path, text, others)).toEqual(expected);
  });
  it.each(OTHER_NEGATIVE)('does not read %s', async (_, path, text) => {
    expect(await reads(path, text)).toEqual([]);
  });
  it('chooses the language from the name, else from the shebang', () => {
    expect(languageOf('x/run', '#!/bin/bash')).toBe('shell');
    expect(languageOf('x/run', '#!/usr/bin/env -S node --no-warnings')).toBe('js');
    expect(languageOf('x/run', 'plain text')).toBeUndefined();
    expect(languageOf('x/README.md', '#!/bin/sh')).toBeUndefined();
  });
});
