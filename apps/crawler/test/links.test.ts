// extractLinks(): what counts as a link, how it is resolved, what is left out.
import { extractLinks } from '@aiots/crawler';
import { describe, expect, it } from 'vitest';

const at = 'https://example.com/dir/page.html?x=1';

describe('extractLinks', () => {
  it.each([
    ['<a href="a.html">', ['https://example.com/dir/a.html']],
    ['<a href="../up">', ['https://example.com/up']],
    ['<a href="/root#frag">', ['https://example.com/root#frag']],
    ['<a href="?q=2">', ['https://example.com/dir/page.html?q=2']],
    ['<a href="">', ['https://example.com/dir/page.html?x=1']],
    ['<a href="//cdn.example.org/x">', ['https://cdn.example.org/x']],
    ['<a href="HTTP://EXAMPLE.COM/Up">', ['http://example.com/Up']],
    ['<a href="/a b">', ['https://example.com/a%20b']],
    ['<a href="/caf&eacute;">', ['https://example.com/caf%C3%A9']],
    ['<a href="/x?a=1&amp;b=2&lt;">', ['https://example.com/x?a=1&b=2%3C']],
    ['<a href="/x?a=1&copy=2">', ['https://example.com/x?a=1&copy=2']], // no entity in an attribute before =
    ['<a href="\n\t /trim \n">', ['https://example.com/trim']],
    ['<a href="/first" href="/second">', ['https://example.com/first']],
    ['<a href=/unquoted>', ['https://example.com/unquoted']],
    ["<a href='/single'>", ['https://example.com/single']],
    ['<A HREF="/upper">', ['https://example.com/upper']],
    [
      '<link href="/l"><area href="/ar"><div href="/d">',
      ['https://example.com/l', 'https://example.com/ar', 'https://example.com/d'],
    ],
    [
      '<a href="/same"><a href="/same"><a href="/same#f">',
      ['https://example.com/same', 'https://example.com/same#f'],
    ],
  ])('%s', (html, links) => {
    expect(extractLinks(html, at)).toEqual(links);
  });

  it.each([
    [
      'mailto, javascript, data, ftp, tel',
      '<a href="mailto:a@b"><a href="javascript:x()"><a href="data:text/plain,x"><a href="ftp://h/f"><a href="tel:1">',
    ],
    ['comments', '<!-- <a href="/c"> --><!----><!--><a href="/c2">-->'],
    [
      'scripts and styles',
      '<script>var a = \'<a href="/s">\';</script><style>a[href="/t"]{}</style>',
    ],
    [
      'text, title and textarea',
      'href="/text" <title><a href="/t"></title><textarea><a href="/ta"></textarea>',
    ],
    ['an unterminated comment', '<p>x</p><!-- <a href="/late">'],
    ['a URL that does not parse', '<a href="http://[bad">'],
    ['end tags', '</a href="/end">'],
  ])('leaves out %s', (_, html) => {
    const links = extractLinks(html, at);
    expect(links.filter((l) => !l.endsWith('/c2'))).toEqual([]);
  });

  it('resolves against the first <base href>, wherever it stands', () => {
    const html = '<a href="x">x</a><base href="/b/"><base href="/ignored/"><a href="y">';
    expect(extractLinks(html, at)).toEqual([
      'https://example.com/b/x',
      'https://example.com/b/',
      'https://example.com/ignored/',
      'https://example.com/b/y',
    ]);
  });

  it('keeps the document URL as the base when <base href> does not parse', () => {
    expect(extractLinks('<base href="http://[x"><a href="z">', at)).toEqual([
      'https://example.com/dir/z',
    ]);
  });

  it('names a bad argument', () => {
    expect(() => extractLinks(1 as unknown as string, at)).toThrow(TypeError);
    expect(() => extractLinks('', undefined as unknown as string)).toThrow(
      'Expected `documentUrl` to be a string, got undefined',
    );
  });
});
