import { describe, it, expect } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { canonicalIp, canonicalPeer } from '../../src/net/ip.js';
import { compileClientIp } from '../../src/net/client-ip.js';

describe('canonicalIp', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    [' 1.2.3.4 ', '1.2.3.4'],
    ['1.2.3.4:5678', '1.2.3.4'],
    ['[::1]:80', '::1'],
    ['[::1]', '::1'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::FFFF:1.2.3.4', '1.2.3.4'],
    ['::ffff:0102:0304', '1.2.3.4'],
    ['[::ffff:10.0.0.1]:443', '10.0.0.1'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // equal runs: the first
    ['fe80::1%eth0', 'fe80::1'],
    ['::', '::'],
    ['::1', '::1'],
  ])('%s → %s', (input, out) => {
    expect(canonicalIp(input)).toBe(out);
  });

  it.each([
    [''], ['unknown'], ['example.com'], ['1.2.3'], ['1.2.3.4.5'], ['256.1.1.1'], ['01.2.3.4'],
    ['1.2.3.4:'], ['1.2.3.4:port'], ['[::1'], ['[::1]x'], ['[1.2.3.4]'], ['::g'], ['_hidden'], ['1.2.3.4:5:6'],
    ['x'.repeat(100)],
  ])('rejects %j', (input) => {
    expect(canonicalIp(input)).toBeNull();
  });

  it.each([
    [undefined, ''],
    ['10.0.0.1', '10.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['2001:DB8::1', '2001:db8::1'],
  ])('peer %s → %s', (input, out) => {
    expect(canonicalPeer(input)).toBe(out);
  });
});

describe('compileClientIp', () => {
  const r = compileClientIp(['10.0.0.0/8', '192.168.1.1', 'fd00::/8', '::ffff:172.16.0.0/108']);

  it.each<[string, string | string[] | undefined, string]>([
    // untrusted peer: X-Forwarded-For is ignored, whatever it says
    ['203.0.113.7', '1.1.1.1', '203.0.113.7'],
    ['::ffff:203.0.113.7', '1.1.1.1', '203.0.113.7'],
    // trusted peer without the header
    ['10.0.0.5', undefined, '10.0.0.5'],
    // trusted peer: right-most untrusted hop
    ['10.0.0.5', '203.0.113.9', '203.0.113.9'],
    ['10.0.0.5', '6.6.6.6, 203.0.113.9', '203.0.113.9'], // the spoofed left part is ignored
    ['10.0.0.5', '6.6.6.6, 203.0.113.9, 10.1.1.1', '203.0.113.9'], // trusted hops skipped
    ['10.0.0.5', '6.6.6.6,203.0.113.9,10.1.1.1,192.168.1.1', '203.0.113.9'],
    ['::ffff:10.0.0.5', '203.0.113.9', '203.0.113.9'], // mapped peer
    ['10.0.0.5', '::ffff:203.0.113.9', '203.0.113.9'], // mapped entry
    ['10.0.0.5', '203.0.113.9:51234', '203.0.113.9'], // port
    ['10.0.0.5', '[2001:DB8::9]:443', '2001:db8::9'], // bracketed v6 with port
    ['10.0.0.5', '2001:0db8::0009', '2001:db8::9'],
    ['fd00::1', '198.51.100.4, fd12::2', '198.51.100.4'], // v6 trusted subnet
    ['10.0.0.5', '172.16.0.9, 198.51.100.4', '198.51.100.4'],
    ['10.0.0.5', '198.51.100.4, 172.16.0.9', '198.51.100.4'], // mapped CIDR trusts the v4 range
    // several field lines: the last one is right-most
    ['10.0.0.5', ['198.51.100.1', '203.0.113.9, 10.2.2.2'], '203.0.113.9'],
    ['10.0.0.5', ['198.51.100.1', '10.2.2.2'], '198.51.100.1'],
    // empty members are skipped
    ['10.0.0.5', '203.0.113.9, , 10.2.2.2,', '203.0.113.9'],
    ['10.0.0.5', '', '10.0.0.5'],
    // garbage stops the walk at the last trusted hop
    ['10.0.0.5', '1.1.1.1, garbage', '10.0.0.5'],
    ['10.0.0.5', '1.1.1.1, unknown, 10.3.3.3', '10.3.3.3'],
    // every hop trusted: the left-most
    ['10.0.0.5', '10.9.9.9, 10.8.8.8', '10.9.9.9'],
  ])('peer %s, XFF %j → %s', (peer, xff, out) => {
    expect(r.resolve(peer, xff)).toBe(out);
  });

  it('caps the walk over a very long list of trusted hops', () => {
    const hops = Array.from({ length: 5000 }, (_, i) => `10.0.${(i >> 8) & 255}.${i & 255}`);
    const xff = ['6.6.6.6', ...hops].join(', ');
    const capped = compileClientIp(['10.0.0.0/8'], { maxHops: 20 });
    // the spoofed left-most address is never reached; the 20th trusted hop from the right is used
    expect(capped.resolve('10.0.0.1', xff)).toBe(hops[hops.length - 20]);
    expect(capped.resolve('10.0.0.1', `6.6.6.6, ${hops.slice(-3).join(',')}`)).toBe('6.6.6.6');
  });

  it('ignores X-Forwarded-For entirely when nothing is trusted', () => {
    const none = compileClientIp([]);
    expect(none.resolve('::ffff:10.0.0.5', '1.2.3.4')).toBe('10.0.0.5');
    expect(none.trusts('10.0.0.5')).toBe(false);
  });

  it('reports whether the peer is trusted for a request', () => {
    const req = (peer: string, xff?: string) =>
      ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;
    expect(r.fromRequest(req('10.0.0.5', '6.6.6.6, 203.0.113.9'))).toEqual({ ip: '203.0.113.9', trusted: true });
    expect(r.fromRequest(req('203.0.113.1', '6.6.6.6'))).toEqual({ ip: '203.0.113.1', trusted: false });
    expect(r.fromRequest(req('10.0.0.5'))).toEqual({ ip: '10.0.0.5', trusted: true });
  });

  it.each([['10.0.0.0/33'], ['not-an-ip'], ['10.0.0.0/8/1'], ['fd00::/129'], ['::ffff:10.0.0.0/64']])(
    'rejects trusted_proxies entry %j',
    (entry) => {
      expect(() => compileClientIp([entry])).toThrow(/trusted_proxies/);
    },
  );
});
