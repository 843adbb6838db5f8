import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import { Redactor } from '../src/redact.ts';
import { runCli } from './helpers/cli.ts';
import { GeminiServer, geminiAnswer } from './helpers/gemini-server.ts';
import { TestRepo } from './helpers/git-repo.ts';
import { example } from './helpers/github-run.ts';

const CANARY_GEMINI = 'canary-gemini-key-5d41402abc4b2a76';
const CANARY_TOKEN = 'ghp_CANARYcanaryCANARYcanary0123456789';
const CANARY_DB = 'CanaryDbPassw0rd!';

describe('secrets never reach output, logs or artifacts', () => {
  const gemini = new GeminiServer();
  let repo: TestRepo;
  beforeAll(async () => {
    await gemini.start();
    // The model misbehaves: it echoes credentials back in its finding.
    gemini.fallback = {
      body: geminiAnswer({
        findings: [{ file: 'src/app.ts', line: 2, name: 'SIGNING_MODE', kind: 'environment variable', reason: `key ${CANARY_GEMINI} and ${CANARY_TOKEN}`, suggested_doc: `set ${CANARY_DB}` }],
      }),
    };
    ({ repo } = TestRepo.withChange({ 'README.md': '# app\n' }, { 'src/app.ts': 'export const a = process.env.NEW_VAR;\nexport const m = process.env.SIGNING_MODE;\n' }));
  });
  afterAll(async () => {
    await gemini.stop();
    repo.remove();
  });

  it('plants canaries in the environment and the payload and finds them nowhere', async () => {
    writeFileSync(join(repo.dir, 'policy.yaml'), 'version: 1\naudit: { dir: audit }\nworkflows:\n  pr_opened: [doc_sync]\n');
    const event = example('pull_request', 'opened');
    event.pull_request.base.sha = repo.git('rev-parse', 'main').trim();
    event.pull_request.head.sha = repo.git('rev-parse', 'HEAD').trim();
    event.pull_request.title = `leak ${CANARY_TOKEN}`;
    event.pull_request.body = `password ${CANARY_DB}`;
    const eventPath = join(repo.dir, 'event.json');
    writeFileSync(eventPath, JSON.stringify(event));

    const outputs: string[] = [];
    for (const format of ['text', 'json', 'markdown']) {
      const { code, stdout, stderr } = await runCli(['run', '--event', 'pr_opened', '--payload', eventPath, '--format', format, '--log-level', 'trace'], {
        cwd: repo.dir,
        env: { GEMINI_API_KEY: CANARY_GEMINI, GITHUB_TOKEN: CANARY_TOKEN, DATABASE_PASSWORD: CANARY_DB, DRIFTGUARD_GEMINI_URL: gemini.url },
      });
      expect(code).toBe(1);
      outputs.push(stdout, stderr);
    }
    // The AI really was used: the canaries had a path to the output.
    expect(outputs.join('\n')).toContain('SIGNING_MODE');
    expect(gemini.requests.length).toBeGreaterThan(0);
    expect(gemini.requests[0]!.headers['x-goog-api-key']).toBe(CANARY_GEMINI);
    const artifacts = readdirSync(join(repo.dir, 'audit')).map((f) => readFileSync(join(repo.dir, 'audit', f), 'utf8'));
    expect(artifacts).toHaveLength(3);
    for (const text of [...outputs, ...artifacts]) {
      expect(text).not.toContain(CANARY_GEMINI);
      expect(text).not.toContain(CANARY_TOKEN);
      expect(text).not.toContain(CANARY_DB);
    }
    expect(outputs.join('\n')).toContain('[REDACTED]');
  });
});

describe('redactor', () => {
  it('scrubs environment credentials, well-known token shapes and authorization headers', () => {
    const r = new Redactor({ MY_API_KEY: 'abcdef123456', PATH: '/usr/bin:/bin', SHORT_TOKEN: 'abc' });
    expect(r.scrub('k=abcdef123456 p=/usr/bin:/bin s=abc')).toBe('k=[REDACTED] p=/usr/bin:/bin s=abc');
    expect(r.scrub('AKIAABCDEFGHIJKLMNOP and github_pat_11ABCDEFG0123456789_abcdefghijkl')).toBe('[REDACTED] and [REDACTED]');
    expect(r.scrub('Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9xx')).toBe('Authorization: Bearer [REDACTED]');
    expect(r.scrubValue({ nested: ['x abcdef123456 y'] })).toEqual({ nested: ['x [REDACTED] y'] });
  });

  it('scrubs secrets inside pino lines, including JSON-escaped ones and header fields', () => {
    const lines: string[] = [];
    const r = new Redactor({ SERVICE_SECRET: 'sec"ret\\value99' });
    const log = createLogger({ level: 'info', redactor: r, stream: { write: (l: string) => lines.push(l) } });
    log.info({ headers: { authorization: 'Basic Zm9vOmJhcg==' }, note: 'sec"ret\\value99' }, 'request');
    expect(lines.join('')).not.toContain('ret\\\\value99');
    expect(lines.join('')).not.toContain('Zm9vOmJhcg==');
    expect(lines.join('')).toContain('[REDACTED]');
  });
});
