// Strict base64url (RFC 4648 §5, no padding) for ASCII text, without Buffer: this directory stays pure.
// Strict means one encoding per text: a stray character, a bad length or non-zero spare bits is refused.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const INDEX = new Map([...ALPHABET].map((c, i) => [c, i]));

/** base64url of an ASCII string; throws on a character above U+007F (callers only encode ASCII JSON). */
export function encodeBase64UrlAscii(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i += 3) {
    const b0 = byteAt(text, i);
    const b1 = i + 1 < text.length ? byteAt(text, i + 1) : 0;
    const b2 = i + 2 < text.length ? byteAt(text, i + 2) : 0;
    const n = (b0 << 16) | (b1 << 8) | b2;
    const chars = Math.min(4, Math.ceil(((text.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) out += ALPHABET[(n >> (18 - 6 * k)) & 63];
  }
  return out;
}

/** The ASCII text `encoded` stands for, or `undefined` when it is not strict base64url of ASCII. */
export function decodeBase64UrlAscii(encoded: string): string | undefined {
  if (encoded.length % 4 === 1) return undefined;
  let out = '';
  for (let i = 0; i < encoded.length; i += 4) {
    const group = encoded.slice(i, i + 4);
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const v = k < group.length ? INDEX.get(group[k]!) : 0;
      if (v === undefined) return undefined;
      n = (n << 6) | v;
    }
    const bytes = [(n >> 16) & 255, (n >> 8) & 255, n & 255].slice(0, group.length - 1);
    // Spare low bits of a short last group must be zero, or two strings would decode to the same bytes.
    if (group.length < 4 && (n & ((1 << (8 * (3 - bytes.length))) - 1)) !== 0) return undefined;
    for (const b of bytes) {
      if (b > 127) return undefined;
      out += String.fromCharCode(b);
    }
  }
  return out;
}

function byteAt(text: string, i: number): number {
  const code = text.charCodeAt(i);
  if (code > 127) throw new RangeError('encodeBase64UrlAscii only encodes ASCII');
  return code;
}
