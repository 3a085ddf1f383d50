import sanitizeHtml from 'sanitize-html';
import type { HtmlSanitizer } from '@gateway/core';

/** R5: the allow-list for instructions_html. */
const POLICY: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'strong', 'b', 'em', 'i', 'u', 'ul', 'ol', 'li', 'a', 'code', 'pre', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'],
  allowedAttributes: { a: ['href'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object', 'embed', 'template'],
};

const BLOCK_END = /<\/(p|li|h[1-6]|pre|blockquote|ul|ol)>|<br\s*\/?>/gi;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: ' ' };

/** Sanitizes with sanitize-html and renders plain text with one line per block. */
export const htmlSanitizer: HtmlSanitizer = {
  sanitize(html) {
    const clean = sanitizeHtml(html, POLICY);
    const withBreaks = clean.replace(BLOCK_END, (m) => `${m}\n`);
    const text = sanitizeHtml(withBreaks, { allowedTags: [], allowedAttributes: {} })
      .replace(/&(amp|lt|gt|quot|#39|apos|nbsp);/g, (_, name: string) => ENTITIES[name] ?? '')
      .split('\n')
      .map((line) => line.replace(/[ \t]+/g, ' ').trim())
      .filter((line) => line !== '')
      .join('\n')
      .trim();
    return { html: clean, text };
  },
};
