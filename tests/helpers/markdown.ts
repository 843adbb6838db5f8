import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';

/** Markdown rendered as GitHub renders it (GFM, raw HTML allowed). */
export const renderMarkdown = (markdown: string): string => micromark(markdown, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });

/** What a reader sees of some Markdown: the rendered text, tags dropped, entities decoded, zero-width spaces gone. */
export function rendered(markdown: string): string {
  return renderMarkdown(markdown)
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x200b;|&#8203;|\u200b/gi, '')
    .replace(/&amp;/g, '&');
}
