// Authenticated pull requests: the puller signs {region, applied, nonce, sentAt} with the cluster secret;
// the serving region checks the MAC, that the puller is a configured peer, the time window and the nonce.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SignedPull {
  readonly region: string;
  readonly applied: Readonly<Record<string, number>>;
  readonly nonce: string;
  readonly sentAt: number;
}

export const AUTH_HEADER = 'x-meridian-auth';

export function signPull(
  secret: string,
  request: Pick<SignedPull, 'region' | 'applied'>,
  now: number,
): { body: string; mac: string; nonce: string } {
  const nonce = randomBytes(16).toString('hex');
  const signed: SignedPull = { region: request.region, applied: request.applied, nonce, sentAt: now };
  const body = JSON.stringify(signed);
  return { body, mac: macOf(secret, body), nonce };
}

function macOf(secret: string, body: string): string {
  return createHmac('sha256', secret).update('meridian-pull-v1|').update(body).digest('hex');
}

export type PullVerdict =
  { readonly ok: true; readonly pull: SignedPull } | { readonly ok: false; readonly reason: string };

export interface PullVerifier {
  verify(body: string, mac: string | undefined, now: number): PullVerdict;
}

/**
 * `windowMs`: how far `sentAt` may be from our clock; nonces are remembered for that long, so a recorded
 * request replayed later is refused either as seen or as too old.
 */
export function createPullVerifier(options: {
  secret: string;
  self: string;
  peers: readonly string[];
  windowMs: number;
}): PullVerifier {
  const seen = new Map<string, number>();
  return {
    verify(body, mac, now) {
      if (!mac || !/^[0-9a-f]{64}$/.test(mac))
        return { ok: false, reason: `missing or malformed ${AUTH_HEADER} header` };
      const expected = Buffer.from(macOf(options.secret, body), 'hex');
      if (!timingSafeEqual(expected, Buffer.from(mac, 'hex')))
        return { ok: false, reason: 'bad MAC: not signed with this cluster secret' };
      let pull: SignedPull;
      try {
        pull = JSON.parse(body) as SignedPull;
      } catch {
        return { ok: false, reason: 'signed body is not JSON' };
      }
      if (
        typeof pull.region !== 'string' ||
        !options.peers.includes(pull.region) ||
        pull.region === options.self
      ) {
        return {
          ok: false,
          reason: `region ${JSON.stringify(pull.region)} is not a configured peer of ${options.self}`,
        };
      }
      if (typeof pull.nonce !== 'string' || pull.nonce.length < 16 || typeof pull.sentAt !== 'number') {
        return { ok: false, reason: 'signed body lacks nonce or sentAt' };
      }
      if (Math.abs(now - pull.sentAt) > options.windowMs) {
        return {
          ok: false,
          reason: `request sent at ${pull.sentAt}, ${Math.round(now - pull.sentAt)} ms from our clock: outside the ${options.windowMs} ms window (replayed, or clocks far apart)`,
        };
      }
      for (const [nonce, at] of seen) {
        if (now - at <= options.windowMs) break;
        seen.delete(nonce);
      }
      if (seen.has(pull.nonce))
        return { ok: false, reason: `nonce ${pull.nonce} already used: replayed request` };
      seen.set(pull.nonce, now);
      return { ok: true, pull };
    },
  };
}
