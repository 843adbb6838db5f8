import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { auditFileName, auditRecord, writeJsonAtomic } from './audit.ts';
import type { Deps } from './deps.ts';
import { DriftGuardError } from './errors.ts';
import { runEngine, type RunResult } from './engine.ts';
import type { DriftEvent } from './events.ts';
import type { ModuleRegistry } from './module.ts';
import type { LoadedPolicy } from './policy/load.ts';
import { formatResult, type Format } from './report/format.ts';

export function newRunId(env: Readonly<Record<string, string | undefined>>, now: Date): string {
  if (env.GITHUB_RUN_ID) return `${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`;
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export interface ExecuteOptions {
  loaded: LoadedPolicy;
  registry: ModuleRegistry;
  event: DriftEvent;
  deps: Deps;
  /** --dry-run: forces dry-run whatever the policy says. */
  forceDryRun: boolean;
  format: Format;
  runId?: string;
}

export interface ExecuteResult {
  result: RunResult;
  auditFile?: string;
}

/**
 * One complete run: engine, then the reporting step (audit artifact, then the report on stdout).
 * An audit artifact that cannot be written makes the run incomplete.
 */
export async function executeRun(options: ExecuteOptions): Promise<ExecuteResult> {
  const { loaded, registry, event, deps } = options;
  const dryRun = options.forceDryRun || loaded.policy.dry_run;
  const runId = options.runId ?? newRunId(deps.env, deps.now());
  let auditFile: string | undefined;
  const result = await runEngine({
    policy: loaded.policy,
    registry,
    event,
    dryRun,
    deps,
    runId,
    report: async (run) => {
      const dir = resolve(deps.cwd, loaded.policy.audit.dir);
      try {
        auditFile = await writeJsonAtomic(dir, auditFileName(event.name, runId), auditRecord(run, { file: loaded.file, hash: loaded.hash }), deps.redactor);
      } catch (err) {
        throw new DriftGuardError('io_failed', `cannot write the audit artifact in ${dir}: ${(err as Error).message}`, { cause: err });
      }
      deps.log.info({ runId, auditFile }, 'audit artifact written');
    },
  });
  deps.out(formatResult(result, options.format, { auditFile }));
  return { result, auditFile };
}
