import { describe, expect, it } from 'vitest';
import { aesGcmCipher, apiToken, constantTimeEqual, generateKeyHex, htmlSanitizer, randomIds, requestId, sha256Hasher, timeSortableId } from '../src';

describe('ids', () => {
  it('are <prefix>_ + 8 hex of the creation second + 16 random hex', () => {
    const at = Date.UTC(2026, 5, 24, 10, 42);
    const id = timeSortableId('agent', at);
    expect(id).toMatch(/^agent_[0-9a-f]{24}$/);
    expect(parseInt(id.slice(6, 14), 16)).toBe(Math.floor(at / 1000));
    expect(randomIds.next('pn')).toMatch(/^pn_[0-9a-f]{24}$/);
    expect(new Set(Array.from({ length: 1000 }, () => randomIds.next('msg'))).size).toBe(1000);
    expect(timeSortableId('conv', at) < timeSortableId('conv', at + 1000)).toBe(true);
  });

  it('request ids are req_ + 16 hex; tokens sk_live_ + 32 base62', () => {
    expect(requestId()).toMatch(/^req_[0-9a-f]{16}$/);
    const tokens = Array.from({ length: 200 }, apiToken);
    for (const token of tokens) expect(token).toMatch(/^sk_live_[0-9A-Za-z]{32}$/);
    expect(new Set(tokens).size).toBe(200);
  });
});

describe('hashing', () => {
  it('hashes tokens with SHA-256 and compares in constant time', () => {
    expect(sha256Hasher.hash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // A string is hashed as its UTF-8 bytes.
    expect(sha256Hasher.hash('gw_é👋')).toBe('55db55eaffabdf9efae966567f58eca11c5bc3d5d35d97db0b600dca0f687baf');
    expect(constantTimeEqual('same', 'same')).toBe(true);
    expect(constantTimeEqual('same', 'sane')).toBe(false);
    expect(constantTimeEqual('short', 'longer one')).toBe(false);
  });
});

describe('AES-256-GCM cipher', () => {
  it('seals with a fresh nonce, opens, and refuses tampering or another key', () => {
    const cipher = aesGcmCipher(generateKeyHex());
    const a = cipher.seal('EAAG-secret-token');
    const b = cipher.seal('EAAG-secret-token');
    expect(a).not.toBe(b);
    expect(a).not.toContain('EAAG');
    expect(cipher.open(a)).toBe('EAAG-secret-token');
    const parts = a.split('.');
    const data = Buffer.from(parts[3] as string, 'base64url');
    data[0] = (data[0] as number) ^ 1;
    expect(() => cipher.open([parts[0], parts[1], parts[2], data.toString('base64url')].join('.'))).toThrow();
    expect(() => aesGcmCipher(generateKeyHex()).open(a)).toThrow();
    expect(() => aesGcmCipher('abc')).toThrow(/64 hex/);
  });
});

describe('HTML sanitizer (R5)', () => {
  it('keeps the allow-list, drops everything else, and renders plain text', () => {
    const { html, text } = htmlSanitizer.sanitize(
      '<h1 class="x">Orders</h1><p onclick="x()">Be <strong>kind</strong> &amp; brief.<script>alert(1)</script></p>' +
        '<ul><li>One</li><li><a href="https://shop.test/help" target="_blank">Two</a></li></ul>' +
        '<a href="javascript:alert(1)">bad</a><img src="x.png"><iframe src="https://evil.test"></iframe><style>p{}</style>',
    );
    expect(html).toBe(
      '<h1>Orders</h1><p>Be <strong>kind</strong> &amp; brief.</p><ul><li>One</li><li><a href="https://shop.test/help">Two</a></li></ul><a>bad</a>',
    );
    expect(text).toBe('Orders\nBe kind & brief.\nOne\nTwo\nbad');
  });

  it('allows mailto links and every allowed block element', () => {
    const { html } = htmlSanitizer.sanitize('<blockquote><pre><code>x</code></pre></blockquote><h6><em>i</em><b>b</b><i>i</i><u>u</u></h6><ol><li><a href="mailto:help@shop.test">mail</a></li></ol><br>');
    expect(html).toBe('<blockquote><pre><code>x</code></pre></blockquote><h6><em>i</em><b>b</b><i>i</i><u>u</u></h6><ol><li><a href="mailto:help@shop.test">mail</a></li></ol><br />');
  });
});
