// The client across two real regions in this process: read-your-writes through another region and another
// client object sharing the token store, forwarding to a single-writer primary, merging the tokens of
// concurrent writes, and a sync write whose outcome is unknown. Replication lingers 1.5 s, so a read in
// the other region finds a fresh write only when its session token makes the region wait or forward.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, MeridianClientError, memoryTokenStore, type Fetch, type TokenStore } from './index.ts';
import { parseTokens } from './session-tokens.ts';
import { startRegions, type TestRegions } from './test-support.ts';

const EU = 'eu-west-1';
const US = 'us-east-1';

let regions: TestRegions;

before(async () => {
  regions = await startRegions([EU, US], {
    collections: {
      carts: { consistency: { sessionWait: 200 } },
      // Writes in both regions: a read needs a region that has both, so it waits for replication.
      baskets: { consistency: { sessionWait: '3s' } },
      ledger: { topology: 'single-writer', primary: EU },
      payments: { replication: { mode: 'sync', ack: 'all', timeout: 300 } },
    },
    replication: { linger: 1500 },
  });
});
after(() => regions.stop());

function client(region: string, tokenStore: TokenStore, fetch?: Fetch) {
  return createClient({ url: regions.urls[region]!, tokenStore, fetch });
}

function held(store: TokenStore): string[] {
  return parseTokens(store.load() as string | undefined);
}

describe('across regions', () => {
  it('a write through one region is read back through another client and region sharing the tokens', async () => {
    const tokenStore = memoryTokenStore();
    const written = await client(EU, tokenStore).collection('carts').put('cart-1', { items: 3 });
    assert.equal(written.region, EU);
    // Without the session: the US region has not received the write yet.
    assert.equal(await client(US, memoryTokenStore()).collection('carts').get('cart-1'), undefined);
    const read = await client(US, tokenStore).collection('carts').get('cart-1');
    assert.deepEqual(read?.value, { items: 3 });
    assert.equal(read?.version, written.version);
  });

  it('a write to a single-writer collection through another region is forwarded to its primary', async () => {
    const ledger = client(US, memoryTokenStore()).collection('ledger');
    const written = await ledger.put('entry-1', { amount: 10 });
    assert.equal(written.forwardedTo, EU);
    assert.equal(written.region, EU);
    const strong = await ledger.get('entry-1', { consistency: 'strong' });
    assert.deepEqual(strong?.value, { amount: 10 });
    assert.equal(strong?.forwardedTo, EU);
  });

  it("concurrent writes' tokens are all held, then merged by the server on the next call", async () => {
    const tokenStore = memoryTokenStore();
    const sessions: Array<string | undefined> = [];
    const recording: Fetch = (input, init) => {
      sessions.push((init.headers as Record<string, string>)['x-meridian-session']);
      return fetch(input, init);
    };
    const eu = client(EU, tokenStore, recording).collection('baskets');
    const us = client(US, tokenStore, recording).collection('baskets');
    await Promise.all([eu.put('c-eu-1', { n: 1 }), us.put('c-us', { n: 2 }), eu.put('c-eu-2', { n: 3 })]);
    assert.deepEqual(sessions, [undefined, undefined, undefined], 'all three went out with no session');
    const tokens = held(tokenStore);
    assert.equal(tokens.length, 3, 'none of the answers covers the others');

    // The next call carries all three; its answer is one token covering them. (It waits until EU has
    // applied the US write: the session holds writes from both regions.)
    assert.deepEqual((await eu.get('c-us'))?.value, { n: 2 });
    assert.deepEqual(parseTokens(sessions[3]).sort(), [...tokens].sort());
    assert.equal(held(tokenStore).length, 1);
    // The merged token still holds the EU writes for a read in the US.
    assert.deepEqual((await us.get('c-eu-1'))?.value, { n: 1 });
    assert.deepEqual((await us.get('c-eu-2'))?.value, { n: 3 });
  });
});

describe('a sync write without its acknowledgements', () => {
  it('is outcome_unknown: it may have applied, and the session moved', async () => {
    await regions.nodes[US]!.stop();
    const tokenStore = memoryTokenStore();
    const payments = client(EU, tokenStore).collection('payments');
    const err = await payments.put('p-1', { cents: 500 }).then(
      () => assert.fail('expected outcome_unknown'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof MeridianClientError);
    assert.equal(err.status, 503);
    assert.equal(err.code, 'outcome_unknown');
    assert.equal(err.outcomeUnknown, true);
    assert.equal(err.retryAfterMs, 1000);
    assert.equal(err.region, EU);
    assert.equal(held(tokenStore).length, 1, 'the answer carried the session of the applied write');
    assert.deepEqual((await payments.get('p-1'))?.value, { cents: 500 });
  });
});
