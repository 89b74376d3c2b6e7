// The client against a real region node (in this process, memory store): documents, errors, session
// tokens, consistency options, cookie sessions; and that it stays within web-platform APIs.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSISTENCY_LEVELS as SERVER_LEVELS } from '../config/schema.ts';
import { fakeDocument } from './fake-document.ts';
import {
  CONSISTENCY_LEVELS,
  cookieTokenStore,
  createClient,
  MeridianClientError,
  memoryTokenStore,
  type Fetch,
} from './index.ts';
import { parseTokens } from './session-tokens.ts';
import { freePort, startRegions, type TestRegions } from './test-support.ts';

interface Profile {
  name: string;
  age?: number;
}

let regions: TestRegions;
let url: string;

before(async () => {
  regions = await startRegions(['us-east-1'], {
    collections: { profiles: {}, orders: {}, ledger: { topology: 'single-writer', primary: 'us-east-1' } },
  });
  url = regions.urls['us-east-1']!;
});
after(() => regions.stop());

/** The real fetch, noting each request's session header. */
function recordingFetch(): { fetch: Fetch; sessions: Array<string | undefined> } {
  const sessions: Array<string | undefined> = [];
  return {
    sessions,
    fetch: (input, init) => {
      sessions.push((init.headers as Record<string, string>)['x-meridian-session']);
      return fetch(input, init);
    },
  };
}

async function rejects(promise: Promise<unknown>): Promise<MeridianClientError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof MeridianClientError, `expected a MeridianClientError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('documents', () => {
  it('put, get, update with ifMatch, delete', async () => {
    const profiles = createClient({ url }).collection<Profile>('profiles');
    const created = await profiles.put('alice', { name: 'Alice', age: 30 });
    assert.equal(created.key, 'alice');
    assert.equal(created.region, 'us-east-1');
    assert.equal(created.forwardedTo, undefined);
    const read = await profiles.get('alice');
    assert.deepEqual(read, {
      value: { name: 'Alice', age: 30 },
      version: created.version,
      region: 'us-east-1',
      origin: 'us-east-1',
    });
    const updated = await profiles.put('alice', { name: 'Alice', age: 31 }, { ifMatch: read.version });
    assert.ok(updated.version > created.version);
    const deleted = await profiles.delete('alice', { ifMatch: updated.version });
    assert.equal(deleted?.key, 'alice');
    assert.equal(await profiles.get('alice'), undefined);
    assert.equal(await profiles.delete('alice'), undefined, 'nothing left to delete');
  });

  it('a missing document is undefined; a missing collection is an error', async () => {
    const client = createClient({ url });
    assert.equal(await client.collection('profiles').get('nobody'), undefined);
    const err = await rejects(client.collection('profile').get('x'));
    assert.equal(err.code, 'unknown_collection');
    assert.equal(err.status, 404);
    assert.match(err.message, /did you mean 'profiles'/);
  });

  it('keys travel percent-encoded', async () => {
    const profiles = createClient({ url }).collection<Profile>('profiles');
    await profiles.put('users/ünï cødé/1?x#y', { name: 'U' });
    assert.equal((await profiles.get('users/ünï cødé/1?x#y'))?.value.name, 'U');
  });

  it('a failed precondition is a 412 version_mismatch', async () => {
    const profiles = createClient({ url }).collection<Profile>('profiles');
    const first = await profiles.put('bob', { name: 'Bob' });
    await profiles.put('bob', { name: 'Robert' });
    const stale = await rejects(profiles.put('bob', { name: 'Bobby' }, { ifMatch: first.version }));
    assert.equal(stale.status, 412);
    assert.equal(stale.code, 'version_mismatch');
    assert.equal(stale.outcomeUnknown, false);
    assert.equal(stale.method, 'PUT');
    assert.match(stale.url, /\/v1\/collections\/profiles\/docs\/bob$/);
    const exists = await rejects(profiles.put('bob', { name: 'B' }, { ifNoneMatch: '*' }));
    assert.equal(exists.code, 'version_mismatch');
    assert.equal((await profiles.get('bob'))?.value.name, 'Robert');
    await assert.rejects(profiles.put('bob', { name: 'B' }, { ifMatch: 'v', ifNoneMatch: '*' }), TypeError);
  });

  it('lists a page at a time, and listAll walks every page', async () => {
    const orders = createClient({ url }).collection<{ n: number }>('orders');
    for (const n of [3, 1, 5, 2, 4]) await orders.put(`o-${n}`, { n });
    await orders.put('other', { n: 0 });
    const page = await orders.list({ prefix: 'o-', limit: 2 });
    assert.deepEqual(
      page.items.map((i) => [i.key, i.value.n]),
      [
        ['o-1', 1],
        ['o-2', 2],
      ],
    );
    assert.equal(page.next, 'o-2');
    assert.equal(page.region, 'us-east-1');
    const all = [];
    for await (const item of orders.listAll({ prefix: 'o-', limit: 2 })) all.push(item.key);
    assert.deepEqual(all, ['o-1', 'o-2', 'o-3', 'o-4', 'o-5']);
  });
});

describe('consistency options', () => {
  it('reach the server: strong on an active-active collection is consistency_unavailable', async () => {
    const err = await rejects(
      createClient({ url }).collection('profiles').get('x', { consistency: 'strong' }),
    );
    assert.equal(err.status, 400);
    assert.equal(err.code, 'consistency_unavailable');
    const byDefault = createClient({ url, consistency: 'strong' }).collection('profiles');
    assert.equal((await rejects(byDefault.get('x'))).code, 'consistency_unavailable');
    // A call's own level wins over the client's.
    assert.equal(await byDefault.get('x', { consistency: 'eventual' }), undefined);
  });

  it('strong reads of a single-writer collection, bounded reads with a bound', async () => {
    const ledger = createClient({ url }).collection('ledger');
    await ledger.put('l1', { amount: 1 });
    assert.deepEqual((await ledger.get('l1', { consistency: 'strong' }))?.value, { amount: 1 });
    assert.deepEqual((await ledger.get('l1', { maxStalenessMs: 100 }))?.value, { amount: 1 });
    const bounded = createClient({ url, consistency: 'bounded', maxStalenessMs: 100 });
    assert.ok(await bounded.collection('ledger').get('l1'));
  });

  it('are checked before anything is sent', async () => {
    assert.throws(() => createClient({ url, consistency: 'session', maxStalenessMs: 5 }), /goes with/);
    assert.throws(() => createClient({ url, consistency: 'linearizable' as 'strong' }), /one of strong/);
    assert.throws(() => createClient({ url: 'localhost:1' }), /absolute http\(s\) URL/);
    await assert.rejects(
      createClient({ url }).collection('profiles').get('x', { consistency: 'eventual', maxStalenessMs: 5 }),
      /maxStalenessMs goes with consistency 'bounded'/,
    );
  });

  it('match the levels the server knows', () => {
    assert.deepEqual([...CONSISTENCY_LEVELS].sort(), [...SERVER_LEVELS].sort());
  });
});

describe('session tokens', () => {
  it('are stored from every answer and sent with the next request', async () => {
    const tokenStore = memoryTokenStore();
    const { fetch, sessions } = recordingFetch();
    const profiles = createClient({ url, tokenStore, fetch }).collection<Profile>('profiles');
    await profiles.put('carol', { name: 'Carol' });
    const afterWrite = tokenStore.load() as string;
    assert.match(afterWrite, /^m1\.[\w-]+\.[\w-]+$/);
    assert.equal(await profiles.get('nobody-here'), undefined, 'a 404 carries the session too');
    await profiles.get('carol');
    assert.deepEqual(sessions.slice(0, 2), [undefined, afterWrite]);
    assert.equal(parseTokens(tokenStore.load() as string).length, 1);
  });

  it('a tampered token is refused with invalid_session_token until the session is reset', async () => {
    const tokenStore = memoryTokenStore();
    const client = createClient({ url, tokenStore });
    await client.collection('profiles').put('dave', { name: 'Dave' });
    const token = tokenStore.load() as string;
    const [prefix, payload, mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ 'us-east-1': 999_999 })).toString('base64url');
    await tokenStore.save(`${prefix}.${forged}.${mac}`);
    assert.notEqual(forged, payload);
    const err = await rejects(client.collection('profiles').get('dave'));
    assert.equal(err.status, 400);
    assert.equal(err.code, 'invalid_session_token');
    assert.match(err.message, /resetSession/);
    await client.resetSession();
    assert.equal(tokenStore.load(), '');
    assert.ok(await client.collection('profiles').get('dave'));
  });

  it('live in a cookie that a later page load picks up', async () => {
    const document = fakeDocument();
    const first = createClient({ url, tokenStore: cookieTokenStore({ document }) });
    await first.collection('profiles').put('erin', { name: 'Erin' });
    assert.match(document.cookie, /^meridian_session=m1\.[\w-]+\.[\w-]+$/);
    const { fetch, sessions } = recordingFetch();
    const reloaded = createClient({ url, fetch, tokenStore: cookieTokenStore({ document }) });
    assert.equal((await reloaded.collection<Profile>('profiles').get('erin'))?.value.name, 'Erin');
    assert.equal(sessions[0], document.cookie.slice('meridian_session='.length));
  });
});

describe('failures', () => {
  it('a server that cannot be reached is a network_error naming the URL', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const profiles = createClient({ url: closed }).collection('profiles');
    const read = await rejects(profiles.get('k'));
    assert.equal(read.code, 'network_error');
    assert.equal(read.status, 0);
    assert.ok(read.message.includes(`${closed}/v1/collections/profiles/docs/k`), read.message);
    assert.ok(read.cause instanceof Error);
    assert.equal(read.outcomeUnknown, false);
    // A write whose answer never came may have applied.
    assert.equal((await rejects(profiles.put('k', {}))).outcomeUnknown, true);
  });

  it('an aborted call rejects with the signal reason', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      createClient({ url }).collection('profiles').get('k', { signal: controller.signal }),
      { name: 'AbortError' },
    );
  });

  it('an answer that is not Meridian JSON is an unexpected_response', async () => {
    const err = await rejects(
      createClient({ url: `${url}/nowhere` })
        .collection('profiles')
        .get('k'),
    );
    assert.equal(err.code, 'not_found', 'the server names its 404s');
    const proxy: Fetch = async () => new Response('<html>bad gateway</html>', { status: 502 });
    const bad = await rejects(createClient({ url, fetch: proxy }).collection('p').get('k'));
    assert.equal(bad.code, 'unexpected_response');
    assert.equal(bad.status, 502);
  });
});

describe('runs outside Node', () => {
  it('imports nothing from node:*, undici or the server', () => {
    const dir = dirname(fileURLToPath(import.meta.url));
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(join(dir, file), 'utf8');
      for (const [, spec] of source.matchAll(/^(?:import|export)[^'"]*from '([^']+)'/gm)) {
        assert.ok(spec!.startsWith('./'), `${file} imports ${spec!}: the client uses web APIs only`);
        visit(spec!.slice(2));
      }
    };
    visit('index.ts');
    assert.ok(seen.size >= 5);
  });
});
