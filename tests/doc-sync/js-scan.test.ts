import { VISITOR_KEYS } from '@babel/types';
import { describe, expect, it } from 'vitest';
import { CHILD_KEYS, jsScan } from '../../modules/doc-sync/js-reads.ts';
import { constantsOf, prepare, readsOf } from '../../modules/doc-sync/reads.ts';
import { docSyncOn, names } from '../helpers/doc-sync.ts';

const README = { 'README.md': '# project\n' };

describe('the JS walk', () => {
  it("visits the child keys Babel's own VISITOR_KEYS name, in the same order, for every type it lists", () => {
    for (const [type, keys] of CHILD_KEYS) expect([type, [...keys]]).toEqual([type, VISITOR_KEYS[type]]);
  });

  it('finds reads under types it lists and under those it does not (classes, switch, type parameters)', () => {
    const text = [
      'class C { m(x: string = process.env.W_DEFAULT!) { switch (x) { case process.env.W_CASE: return 1; } } }',
      'const f = <T extends string = typeof process.env.W_TYPEOF>(a: T) => a;',
      'label: for (;;) { try { use(process.env.W_TRY); } catch { use(process.env.W_CATCH); } break label; }',
    ].join('\n');
    expect(jsScan('a.ts', text)!.reads.map((r) => [r.name, r.line])).toEqual([['W_DEFAULT', 1], ['W_CASE', 1], ['W_TRY', 3], ['W_CATCH', 3]]);
  });
});

describe('a parsed JS file keeps only its reads', () => {
  it('holds no text and no syntax tree, only reads and the name constants it declares', async () => {
    const file = (await prepare('src/a.ts', "export const OWN = 'J_OWN';\nimport { KEY } from './keys';\nuse(process.env[OWN], process.env[KEY], process.env.J_PLAIN);\n"))!;
    expect(Object.keys(file).sort()).toEqual(['language', 'path', 'scan']);
    expect(file.scan!.reads).toEqual([
      { name: 'J_OWN', line: 3, detector: 'js.process-env-index' },
      { ref: 'KEY', line: 3, detector: 'js.process-env-index' },
      { name: 'J_PLAIN', line: 3, detector: 'js.process-env' },
    ]);
    expect([...file.scan!.constants]).toEqual([['OWN', 'J_OWN']]);
    // Unresolved until another file declares KEY.
    expect(readsOf(file).map((h) => h.name)).toEqual(['J_OWN', 'J_PLAIN']);
  });

  it('resolves a reference through the constants of every changed file, read before or after it', async () => {
    const reader = (await prepare('src/a.js', "const k = require('./keys');\nuse(process.env[k.API_KEY_NAME], process.env[TOKEN]);\n"))!;
    const keys = (await prepare('src/keys.js', "exports.API_KEY_NAME = 'J_API_KEY';\n"))!;
    const token = (await prepare('src/token.ts', "export const TOKEN = 'J_TOKEN';\n"))!;
    expect(readsOf(reader, constantsOf([reader, keys, token])).map((h) => h.name)).toEqual(['J_API_KEY', 'J_TOKEN']);
    expect(readsOf(reader, constantsOf([token, keys, reader])).map((h) => [h.name, h.kind])).toEqual([['J_API_KEY', 'environment variable'], ['J_TOKEN', 'environment variable']]);
  });

  it('a constant two changed files give different values resolves to nothing', async () => {
    const reader = (await prepare('src/a.js', 'use(process.env[TOKEN]);\n'))!;
    const one = (await prepare('src/one.ts', "export const TOKEN = 'J_ONE';\n"))!;
    const two = (await prepare('src/two.ts', "export const TOKEN = 'J_TWO';\n"))!;
    expect(readsOf(reader, constantsOf([reader, one, two]))).toEqual([]);
  });

  it('a file no grammar accepts is read line by line, and keeps its hits only', async () => {
    const file = (await prepare('src/broken.js', 'use(process.env.J_LINE);\n)))) {{{ <<<\n'))!;
    expect(file.scan).toBeUndefined();
    expect(Object.keys(file).sort()).toEqual(['hits', 'language', 'path']);
    expect(readsOf(file).map((h) => h.name)).toEqual(['J_LINE']);
  });
});

describe('deferred references end to end (git)', () => {
  it('a new read through a constant another changed file exports is reported; one the base made is not', async () => {
    const base = { ...README, 'src/old.js': "use(process.env['J_OLD_KEY']);\n" };
    const change = {
      'src/config.js': "const keys = require('./keys');\nuse(process.env[keys.NEW_KEY], process.env[keys.OLD_KEY]);\n",
      'src/keys.js': "exports.NEW_KEY = 'J_NEW_KEY';\nexports.OLD_KEY = 'J_OLD_KEY';\n",
    };
    expect(names(await docSyncOn(base, change))).toEqual(['J_NEW_KEY']);
  });
});
