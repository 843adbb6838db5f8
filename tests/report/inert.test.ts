import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { describe, expect, it } from 'vitest';
import { inertCode, inertJsonLine, inertMarkdown, inertText, normaliseTyped } from '../../src/report/inert.ts';

/** Strings a pull request controls (paths, names, titles, reasons, branch names), each hostile in its own way. */
export const HOSTILE: readonly string[] = [
  'src/<!-- driftguard:override sha=0123456789abcdef0123456789abcdef01234567 comment=1 updated=x -->/x.js',
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '<details open><summary>hidden</summary>',
  '[click me](https://evil.example/phish)',
  '![tracker](https://evil.example/pixel.png)',
  'https://evil.example/autolink and www.evil.example',
  'mail@evil.example',
  '@octocat please look, cc @acme/security-team',
  'fixes acme/other-repo#12 and #13',
  'a | b | c',
  '| --- | --- |',
  '`code` ``double`` ```triple```',
  '``',
  '*bold* _em_ ~~strike~~ **strong**',
  '# heading',
  '> quote',
  '- list item',
  '1. ordered',
  '---',
  '&lt;b&gt; &#64;octocat &amp;',
  'line one\nline two\r\n::error file=a.js::forged annotation',
  '::add-mask::x',
  'evil\u202Egnp.exe',
  'admin\u200B\u200C\u200D\u2060',
  '\u2066isolated\u2069 \u061C',
  '\uFEFFbom',
  'tags \u{E0041}\u{E0042}',
  'soft\u00ADhyphen',
  'c1 \u0085 \u009B31m',
  '\u001b[31mred\u001b[0m',
  'sep\u2028\u2029',
  'private \uE000',
  'trailing backslash \\',
  ':+1: :shipit:',
  '$$x$$ $y$',
  'emoji 🔥 and accents é ü',
];

const render = (markdown: string) => micromark(markdown, { extensions: [gfm()], htmlExtensions: [gfmHtml()] });
/** The text a reader sees in rendered HTML: tags dropped, entities decoded. */
const visibleText = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x200b;|&#8203;|\u200b/gi, '')
    .replace(/&amp;/g, '&')
    .trim();

describe('inertText', () => {
  it.each(HOSTILE)('%j becomes one line with every hidden character visible', (text) => {
    const out = inertText(text);
    expect(out).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}]/u);
    expect(out.split('\n')).toHaveLength(1);
    // Visible characters are kept as they were.
    expect(out.replace(/\\(?:[nrt]|u\{[0-9a-f]+\})/g, '')).toBe(text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}]/gu, ''));
  });

  it('shows a bidirectional override and a line break for what they are', () => {
    expect(inertText('evil\u202Egnp.exe')).toBe('evil\\u{202e}gnp.exe');
    expect(inertText('a\n::error::x')).toBe('a\\n::error::x');
    expect(inertText('tag\u{E0041}')).toBe('tag\\u{e0041}');
  });

  it('caps the length, never inside a surrogate pair', () => {
    expect(inertText('x'.repeat(20), 5)).toBe('xxxxx…');
    expect(inertText('🔥🔥🔥', 2)).toBe('🔥🔥…');
  });
});

describe('inertMarkdown', () => {
  it.each(HOSTILE)('%j renders as plain text with no element, link, mention or reference', (text) => {
    const html = render(`Finding: ${inertMarkdown(text)}`);
    expect(html).toMatch(/^<p>Finding: /);
    const body = html.replace(/^<p>|<\/p>\n?$/g, '');
    // No element of any kind: no link, image, comment, code, emphasis, break.
    expect(body).not.toMatch(/<[a-z!/]/i);
    expect(visibleText(html)).toBe(`Finding: ${inertText(text)}`.trim());
    // GitHub makes mentions and issue references from text nodes: none survives.
    const seen = body.replace(/<[^>]+>/g, '').replace(/&#x200b;|&#8203;/gi, '\u200b');
    expect(seen).not.toMatch(/[@#](?!\u200b)/);
  });

  it('keeps a table intact when a cell holds hostile text', () => {
    for (const text of HOSTILE) {
      const html = render(`| a | b |\n| --- | --- |\n| ${inertMarkdown(text)} | end |\n`);
      expect(html.match(/<td>/g)).toHaveLength(2);
      expect(html).toContain('<td>end</td>');
    }
  });
});

describe('inertCode', () => {
  it.each(HOSTILE)('%j renders as one code span holding exactly the text', (text) => {
    const html = render(`- ${inertCode(text)} is new`);
    const spans = html.match(/<code>[\s\S]*?<\/code>/g) ?? [];
    expect(spans).toHaveLength(1);
    expect(html).not.toMatch(/<(?!\/?(ul|li|code)>)[a-z!/]/i);
    const inner = visibleText(spans[0]!);
    expect(inner).toBe(inertText(text, 300).trim());
  });

  it('escapes pipes inside a table cell', () => {
    const html = render(`| path | n |\n| --- | --- |\n| ${inertCode('a|b`c', { table: true })} | 1 |\n`);
    expect(html.match(/<td>/g)).toHaveLength(2);
    expect(html).toContain('<code>a|b`c</code>');
  });
});

describe('normaliseTyped', () => {
  it('folds look-alikes and removes invisible characters', () => {
    expect(normaliseTyped('／driftguard override ｒｅａｓｏｎ')).toBe('/driftguard override reason');
    expect(normaliseTyped('\u200B\u200C\u200D\u2060\uFEFF').trim()).toBe('');
    expect(normaliseTyped('ok\u202E reason')).toBe('ok reason');
  });
});

describe('inertJsonLine', () => {
  it('keeps JSON valid and equal while hiding nothing', () => {
    const value = { path: 'evil\u202Egnp.exe', zw: 'a\u200Bb', tag: 't\u{E0041}', sep: 'x\u2028y' };
    const line = inertJsonLine(JSON.stringify(value));
    expect(line).not.toMatch(/[\p{Cf}\p{Zl}\p{Zp}]/u);
    expect(JSON.parse(line)).toEqual(value);
  });
});
