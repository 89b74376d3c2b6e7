// Test fixture: the one fake the client tests use, a `document` whose `cookie` accessor behaves like a
// browser's (there is no DOM in Node). Enough for one page on one host: no domains, paths or expiry dates.

/** document.cookie semantics: reading lists name=value pairs; assigning sets (or, Max-Age=0, deletes) one. */
export function fakeDocument(protocol = 'http:') {
  const jar = new Map<string, string>();
  const writes: string[] = [];
  return {
    writes,
    location: { protocol },
    get cookie(): string {
      return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    },
    set cookie(line: string) {
      writes.push(line);
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const maxAge = attributes.map((a) => a.trim()).find((a) => /^max-age=/i.test(a));
      if (maxAge !== undefined && Number(maxAge.slice('max-age='.length)) <= 0) jar.delete(name);
      else jar.set(name, pair.slice(at + 1).trim());
    },
  };
}
