import { createDeps, type Deps, type DepsOptions } from '../../src/deps.ts';

/** Real dependencies for in-process tests, with logs and output captured instead of printed. */
export function testDeps(options: DepsOptions = {}): Deps & { logs: string[]; output: string[] } {
  const logs: string[] = [];
  const output: string[] = [];
  const deps = createDeps({
    env: {},
    logLevel: 'debug',
    logStream: { write: (line: string) => logs.push(line) },
    ...options,
    out: (text) => output.push(deps.redactor.scrub(text)),
  });
  return Object.assign(deps, { logs, output });
}
