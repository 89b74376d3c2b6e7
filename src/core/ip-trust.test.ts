// Tests for address parsing, CIDR matching and x-forwarded-for resolution against trusted proxies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cidrContains, formatIp, parseCidr, parseIp, resolveClientAddress, type Cidr } from './ip-trust.ts';

const trusted = ['127.0.0.1', '10.0.0.0/8', 'fd00::/8'].map((c) => parseCidr(c)!);

test('parses IPv4, IPv6 and IPv4-mapped IPv6; rejects garbage', () => {
  assert.equal(formatIp(parseIp('198.18.3.7')!), '198.18.3.7');
  assert.equal(formatIp(parseIp('::ffff:127.0.0.1')!), '127.0.0.1');
  assert.equal(parseIp('2001:db8::1')!.version, 6);
  assert.equal(formatIp(parseIp('2001:db8:0:0:0:0:0:1')!), '2001:db8::1');
  for (const bad of ['', 'x', '1.2.3', '1.2.3.256', '01.2.3.4', '1::2::3', '1:2:3:4:5:6:7:8:9', 'unknown']) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test('CIDR matching, both families', () => {
  assert.ok(cidrContains(parseCidr('10.0.0.0/8')!, parseIp('10.200.1.1')!));
  assert.ok(!cidrContains(parseCidr('10.0.0.0/8')!, parseIp('11.0.0.1')!));
  assert.ok(cidrContains(parseCidr('fd00::/8')!, parseIp('fd12::1')!));
  assert.ok(!cidrContains(parseCidr('fd00::/8')!, parseIp('10.0.0.1')!));
  assert.ok(cidrContains(parseCidr('0.0.0.0/0')!, parseIp('8.8.8.8')!));
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('10.0.0.0/8/1'), undefined);
});

test('no header: the TCP peer is the client', () => {
  assert.deepEqual(resolveClientAddress('::ffff:203.0.113.9', undefined, trusted), {
    ip: '203.0.113.9',
    hopsTrusted: 0,
    ignored: null,
  });
});

test('a forged header from an untrusted peer is ignored', () => {
  const r = resolveClientAddress('203.0.113.9', '198.18.0.1', trusted);
  assert.equal(r.ip, '203.0.113.9');
  assert.match(r.ignored!, /untrusted peer 203\.0\.113\.9/);
});

test('trusted hops are walked from the right; the first untrusted address is the client', () => {
  // The client forged "1.1.1.1" before reaching the first proxy; only what trusted hops saw counts.
  const r = resolveClientAddress('127.0.0.1', '1.1.1.1, 198.18.0.1, 10.1.2.3', trusted);
  assert.deepEqual(r, { ip: '198.18.0.1', hopsTrusted: 2, ignored: null });
});

test('an invalid entry stops the walk at the last trusted hop', () => {
  const r = resolveClientAddress('127.0.0.1', 'garbage, 10.1.2.3', trusted);
  assert.equal(r.ip, '10.1.2.3');
  assert.match(r.ignored!, /invalid x-forwarded-for entry "garbage"/);
});

test('property: format(parse(ip)) round-trips and every address is inside its own /prefix', () => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.nat({ max: 128 }), (text, bits) => {
      const ip = parseIp(text)!;
      assert.ok(ip, text);
      assert.deepEqual(parseIp(formatIp(ip)), ip);
      const prefix = Math.min(bits, ip.version === 4 ? 32 : 128);
      const cidr: Cidr = parseCidr(`${formatIp(ip)}/${prefix}`)!;
      assert.ok(cidrContains(cidr, ip));
    }),
  );
});
