import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { parse } from 'yaml';
import type { GitHubServer } from './github-server.ts';

export type WorkflowStep = { id?: string; if?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
export type WorkflowJob = { if?: string; permissions?: Record<string, string>; steps: WorkflowStep[] };
export type Workflow = { name: string; on: Record<string, unknown>; jobs: Record<string, WorkflowJob> };

const actionBundle = () => process.env.DRIFTGUARD_TEST_ACTION_BUNDLE ?? join(process.cwd(), 'action/dist/index.js');

export function loadWorkflow(file: string): Workflow {
  return parse(readFileSync(join('.github/workflows', file), 'utf8')) as Workflow;
}

/**
 * The subset of GitHub's expression language the shipped workflows use: property paths,
 * string literals, ==, !=, !, &&, ||, parentheses, and startsWith/contains/always/success.
 * Strings compare case-insensitively, as on GitHub.
 */
export function evaluate(expression: string, context: Record<string, unknown>): unknown {
  const tokens = expression.match(/'(?:[^']|'')*'|&&|\|\||==|!=|[!()[\],.]|[A-Za-z_][\w-]*|\d+|\S/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++]!;
  const truthy = (v: unknown) => v !== null && v !== undefined && v !== false && v !== '' && v !== 0;
  const equal = (a: unknown, b: unknown) => (typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : (a ?? null) === (b ?? null));
  const functions: Record<string, (...args: unknown[]) => unknown> = {
    startsWith: (a, b) => String(a ?? '').toLowerCase().startsWith(String(b ?? '').toLowerCase()),
    contains: (a, b) => String(a ?? '').toLowerCase().includes(String(b ?? '').toLowerCase()),
    always: () => true,
    success: () => true,
  };
  const primary = (): unknown => {
    const token = next();
    if (token === '(') {
      const value = or();
      next();
      return value;
    }
    if (token.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'");
    if (/^\d+$/.test(token)) return Number(token);
    if (token === 'true' || token === 'false') return token === 'true';
    if (token === 'null') return null;
    if (peek() === '(') {
      next();
      const args: unknown[] = [];
      while (peek() !== ')') {
        args.push(or());
        if (peek() === ',') next();
      }
      next();
      const fn = functions[token];
      if (!fn) throw new Error(`unsupported function ${token}`);
      return fn(...args);
    }
    let value: unknown = context[token];
    while (peek() === '.') {
      next();
      const key = next();
      value = (value as Record<string, unknown> | undefined)?.[key];
    }
    return value;
  };
  const unary = (): unknown => (peek() === '!' ? (next(), !truthy(unary())) : primary());
  const compare = (): unknown => {
    const left = unary();
    if (peek() === '==' || peek() === '!=') {
      const op = next();
      const right = unary();
      return op === '==' ? equal(left, right) : !equal(left, right);
    }
    return left;
  };
  const and = (): unknown => {
    let value = compare();
    while (peek() === '&&') {
      next();
      const right = compare();
      value = truthy(value) ? right : value;
    }
    return value;
  };
  const or = (): unknown => {
    let value = and();
    while (peek() === '||') {
      next();
      const right = and();
      value = truthy(value) ? value : right;
    }
    return value;
  };
  const value = or();
  if (i !== tokens.length) throw new Error(`cannot read the expression ${expression}`);
  return value;
}

const truthy = (v: unknown) => v !== null && v !== undefined && v !== false && v !== '' && v !== 0;

/** `${{ ... }}` inside a with: or env: value, evaluated. */
function interpolate(value: string, context: Record<string, unknown>): string {
  return value.replace(/\$\{\{(.*?)\}\}/g, (_, expr: string) => String(evaluate(expr.trim(), context) ?? ''));
}

/** A zip archive as upload-artifact makes one (deflated entries, no directories). */
export function zip(files: Record<string, Buffer | string>): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const packed = deflateRawSync(data);
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(crc32(data), 16);
    entry.writeUInt32LE(packed.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    central.push(entry, nameBytes);
    offset += 30 + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function filesUnder(dir: string): Record<string, Buffer> {
  const found: Record<string, Buffer> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else found[relative(dir, full)] = readFileSync(full);
    }
  };
  if (existsSync(dir)) walk(dir);
  return found;
}

export interface JobContext {
  server: GitHubServer;
  eventName: string;
  payload: Record<string, any>;
  repository: string;
  /** This workflow run's id: artifacts uploaded by the job belong to it. */
  runId: number;
  /** What actions/checkout leaves in the workspace; a job without a checkout starts in an empty folder. */
  checkout?: () => string;
  /** The commit the workflow runs on (GITHUB_SHA). */
  sha?: string;
}

export interface StepResult {
  uses: string;
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

export interface JobResult {
  ran: boolean;
  checkedOut: boolean;
  steps: StepResult[];
  summary: string;
  uploaded: string[];
}

/**
 * Runs one job of a shipped workflow the way a runner would, step by step: its `if:` decides
 * whether it runs at all, `with:` becomes the Action's INPUT_ variables, `env:` is evaluated
 * (secrets.GITHUB_TOKEN is the loopback server's token), DriftGuard is the built Action bundle,
 * and upload-artifact stores a zip on the loopback server for this run.
 */
export async function runJob(workflow: Workflow, jobName: string, ctx: JobContext): Promise<JobResult> {
  const job = workflow.jobs[jobName];
  if (!job) throw new Error(`no job ${jobName} in ${workflow.name}`);
  const scratch = mkdtempSync(join(tmpdir(), 'dg-job-'));
  const runnerTemp = mkdtempSync(join(tmpdir(), 'dg-runner-temp-'));
  const context = { runner: { temp: runnerTemp }, github: { event_name: ctx.eventName, event: ctx.payload, repository: ctx.repository, run_id: ctx.runId, run_attempt: 1, token: ctx.server.token }, secrets: { GITHUB_TOKEN: ctx.server.token } };
  const result: JobResult = { ran: false, checkedOut: false, steps: [], summary: '', uploaded: [] };
  if (job.if !== undefined && !truthy(evaluate(job.if, context))) {
    for (const dir of [scratch, runnerTemp]) rmSync(dir, { recursive: true, force: true });
    return result;
  }
  result.ran = true;
  const empty = mkdtempSync(join(tmpdir(), 'dg-workspace-'));
  let workspace = empty;
  const eventPath = join(scratch, 'event.json');
  const summaryPath = join(scratch, 'summary.md');
  writeFileSync(eventPath, JSON.stringify(ctx.payload));
  writeFileSync(summaryPath, '');
  let failed = false;
  for (const step of job.steps) {
    if (step.if ? !truthy(evaluate(step.if.replace(/^\$\{\{(.*)\}\}$/, '$1'), context)) : failed) continue;
    if (step.run !== undefined) throw new Error(`${jobName}: a run: step (${step.run.split('\n')[0]}) is not expected in a shipped DriftGuard job`);
    const uses = step.uses ?? '';
    const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(String(v), context)]));
    if (uses.startsWith('actions/checkout@')) {
      if (!ctx.checkout) throw new Error(`${jobName} checks out code but the test gave it nothing to check out`);
      workspace = ctx.checkout();
      result.checkedOut = true;
    } else if (uses.startsWith('actions/upload-artifact@')) {
      const files = filesUnder(isAbsolute(inputs.path!) ? inputs.path! : join(workspace, inputs.path!));
      if (Object.keys(files).length === 0) continue;
      ctx.server.addArtifact(ctx.runId, inputs.name!, zip(files));
      result.uploaded.push(inputs.name!);
    } else if (/^driftguard\/driftguard@/.test(uses)) {
      const outputPath = join(scratch, `output-${result.steps.length}`);
      writeFileSync(outputPath, '');
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
        HOME: process.env.HOME ?? '/tmp',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_EVENT_NAME: ctx.eventName,
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_REPOSITORY: ctx.repository,
        GITHUB_API_URL: ctx.server.url,
        GITHUB_SERVER_URL: 'https://github.test',
        GITHUB_RUN_ID: String(ctx.runId),
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_STEP_SUMMARY: summaryPath,
        GITHUB_OUTPUT: outputPath,
        GITHUB_WORKSPACE: workspace,
        RUNNER_TEMP: runnerTemp,
        ...(ctx.sha ? { GITHUB_SHA: ctx.sha } : {}),
        ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
        ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, interpolate(v, context)])),
      };
      // The loopback server lives in this process: the step runs asynchronously so that it can answer.
      const child = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
        const proc = spawn(process.execPath, [actionBundle()], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
        let stdout = '';
        let stderr = '';
        proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        proc.on('error', reject);
        proc.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
      const outputs = Object.fromEntries(readFileSync(outputPath, 'utf8').split('\n').filter(Boolean).map((l) => l.split('=') as [string, string]));
      result.steps.push({ uses, ...child, outputs });
      if (child.code !== 0) failed = true;
    } else throw new Error(`${jobName}: the test runner does not know ${uses}`);
  }
  result.summary = readFileSync(summaryPath, 'utf8');
  for (const dir of [scratch, runnerTemp, empty]) rmSync(dir, { recursive: true, force: true });
  return result;
}
