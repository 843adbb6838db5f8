import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Block {
  kind: string;
  labels: string[];
  body: string;
}

/** Top-level HCL blocks (`resource "type" "name" { ... }`), braces matched, strings and comments skipped. */
function blocks(text: string): Block[] {
  const out: Block[] = [];
  const header = /^(\w+)((?:\s+"[^"]*")*)\s*\{/gm;
  for (const m of text.matchAll(header)) {
    let depth = 0;
    let i = m.index! + m[0].length - 1;
    let inString = false;
    for (; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '#') i = text.indexOf('\n', i);
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
    }
    out.push({ kind: m[1]!, labels: [...m[2]!.matchAll(/"([^"]*)"/g)].map((l) => l[1]!), body: text.slice(m.index! + m[0].length, i) });
  }
  return out;
}

const read = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tf')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
const attribute = (body: string, name: string) => new RegExp(`^\\s*${name}\\s*=\\s*(.+)$`, 'm').exec(body)?.[1]?.trim();

describe('infra/ (Terraform HCL, OpenTofu-compatible)', () => {
  it('is formatted (terraform fmt -check)', () => {
    expect(() => execFileSync('terraform', ['fmt', '-check', '-recursive', 'infra'], { stdio: 'pipe' })).not.toThrow();
  });

  const module = blocks(read('infra/modules/ephemeral-env'));
  const resources = module.filter((b) => b.kind === 'resource');
  const locals = module.find((b) => b.kind === 'locals')!.body;

  it('has variables for the environment name and the TTL', () => {
    const variables = module.filter((b) => b.kind === 'variable').map((b) => b.labels[0]);
    expect(variables).toEqual(expect.arrayContaining(['env_name', 'ttl_hours']));
  });

  it('tags everything with dg-env through provider default_tags', () => {
    const provider = module.find((b) => b.kind === 'provider' && b.labels[0] === 'aws')!;
    expect(provider.body).toMatch(/default_tags\s*\{[\s\S]*"dg-env"\s*=\s*var\.env_name/);
  });

  it('computes dg-expires-at once, at creation, from the TTL, as epoch seconds', () => {
    expect(locals).toMatch(/prefix\s*=\s*"dg-\$\{var\.env_name\}"/);
    expect(locals).toMatch(/"dg-expires-at"\s*=\s*tostring\(time_static\.created\.unix \+ var\.ttl_hours \* 3600\)/);
    expect(resources.some((r) => r.labels[0] === 'time_static')).toBe(true);
  });

  it('names every resource that has a name with the dg- prefix and tags it with dg-expires-at', () => {
    const named = resources.filter((r) => !['time_static'].includes(r.labels[0]!) && !r.labels[0]!.endsWith('_public_access_block'));
    expect(named.map((r) => r.labels[0])).toEqual(['aws_s3_bucket', 'aws_instance']);
    for (const r of named) {
      const tags = attribute(r.body, 'tags')!;
      expect(tags, r.labels.join('.')).toMatch(/^merge\(local\.expiry_tags, \{ Name = "\$\{local\.prefix\}-[a-z-]+" \}\)$/);
      const bucket = attribute(r.body, 'bucket');
      if (bucket) expect(bucket).toMatch(/^"\$\{local\.prefix\}-[a-z-]+"$/);
    }
  });

  it('keeps the state backend out of the janitor\'s reach and locks the state', () => {
    const backend = blocks(read('infra/backend'));
    const provider = backend.find((b) => b.kind === 'provider')!;
    expect(provider.body).toMatch(/"Protected"\s*=\s*"true"/);
    expect(backend.find((b) => b.kind === 'variable' && b.labels[0] === 'state_bucket')!.body).toContain('!startswith(var.state_bucket, "dg-")');
    expect(read('infra/envs/example')).toMatch(/use_lockfile\s*=\s*true/);
  });
});
