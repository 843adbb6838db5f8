import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/policy/load.ts';
import { REGISTRY } from '../../modules/registry.ts';
import { runCli } from '../helpers/cli.ts';

// The README's janitor example on its own: valid, and yet nothing would ever run it.
const JANITOR_ONLY = `version: 1
workflows:
  pr_opened: [doc_sync]
modules:
  doc_sync:
    docs: ["README.md"]
  janitor:
    prefix: dg-
    providers:
      aws:
        accounts: ["111111111111"]
        regions: [eu-west-1]
`;

describe('policy warnings', () => {
  it('a module configured but run by no workflow is a warning with file:line:col, not an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-warn-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, JANITOR_ONLY);
    const loaded = await loadPolicy(file, REGISTRY);
    expect(loaded.warnings).toEqual([
      `${file}:7:3 modules.janitor: warning: module "janitor" is configured but no workflow runs it, so it never runs; add it to a workflow, e.g. workflows: { schedule: [janitor] } (it handles schedule, dispatch)`,
    ]);

    const { code, stdout, stderr } = await runCli(['validate', '--policy', file]);
    expect(code).toBe(0);
    expect(stdout).toContain('valid policy (pr_opened: doc_sync) with 1 warning');
    expect(stderr).toContain(`${file}:7:3 modules.janitor: warning: module "janitor" is configured but no workflow runs it`);
  });

  it('no warning once a workflow runs every configured module', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-warn-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, JANITOR_ONLY.replace('  pr_opened: [doc_sync]\n', '  pr_opened: [doc_sync]\n  schedule: [janitor]\n'));
    expect((await loadPolicy(file, REGISTRY)).warnings).toEqual([]);
  });
});
