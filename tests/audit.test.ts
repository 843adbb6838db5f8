import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditFileName, writeJsonAtomic } from '../src/audit.ts';
import { Redactor } from '../src/redact.ts';

describe('audit artifact', () => {
  it('is written atomically: the old file stays whole until the new one replaces it, and no temp file remains', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-audit-'));
    const name = auditFileName('schedule', '42-1');
    writeFileSync(join(dir, name), '{"old":true}\n');
    const big = { items: Array.from({ length: 20_000 }, (_, i) => ({ i, reason: 'x'.repeat(20) })) };
    const writing = writeJsonAtomic(dir, name, big, new Redactor({}));
    // While the write is in flight the reader sees the old, complete file.
    expect(JSON.parse(readFileSync(join(dir, name), 'utf8'))).toEqual({ old: true });
    await writing;
    expect(JSON.parse(readFileSync(join(dir, name), 'utf8')).items).toHaveLength(20_000);
    expect(readdirSync(dir)).toEqual([name]);
  });

  it('never contains a secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-audit-'));
    const file = await writeJsonAtomic(dir, 'a.json', { note: 'token s3cr3t-value-123' }, new Redactor({ DEPLOY_TOKEN: 's3cr3t-value-123' }));
    expect(readFileSync(file, 'utf8')).toContain('token [REDACTED]');
  });

  it('names files after event and run id, safely', () => {
    expect(auditFileName('pr_opened', '12/../x')).toBe('driftguard-pr_opened-12_.._x.json');
  });
});
