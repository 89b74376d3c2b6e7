// Token stores: one conformance suite for every store, and the cookie store's own rules (against a fake
// document: there is no DOM in Node).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fakeDocument } from './fake-document.ts';
import { cookieTokenStore, memoryTokenStore, type TokenStore } from './token-store.ts';

function tokenStoreConformance(name: string, makeStore: () => TokenStore) {
  describe(`${name} (conformance)`, () => {
    it('starts empty', async () => {
      assert.equal((await makeStore().load()) ?? '', '');
    });

    it('gives back what it saved, commas and all', async () => {
      const store = makeStore();
      const tokens = 'm1.eyJhIjoxfQ.AAAA-_,m1.eyJiIjoyfQ.BBBB=';
      await store.save(tokens);
      assert.equal(await store.load(), tokens);
      await store.save('m1.x.y');
      assert.equal(await store.load(), 'm1.x.y');
    });

    it("'' clears it", async () => {
      const store = makeStore();
      await store.save('m1.x.y');
      await store.save('');
      assert.equal((await store.load()) ?? '', '');
    });
  });
}

tokenStoreConformance('memoryTokenStore', () => memoryTokenStore());
tokenStoreConformance('cookieTokenStore', () => cookieTokenStore({ document: fakeDocument() }));

describe('cookieTokenStore', () => {
  it('writes a first-party cookie for the whole site, SameSite=Lax, value percent-encoded', async () => {
    const document = fakeDocument();
    await cookieTokenStore({ name: 'sess', document }).save('a.b,c.d');
    assert.deepEqual(document.writes, ['sess=a.b%2Cc.d; Path=/; SameSite=Lax']);
  });

  it('is Secure on https pages and can outlive the browser session', async () => {
    const document = fakeDocument('https:');
    await cookieTokenStore({ document, maxAgeSeconds: 3600 }).save('t');
    assert.deepEqual(document.writes, ['meridian_session=t; Path=/; SameSite=Lax; Secure; Max-Age=3600']);
  });

  it('reads only its own cookie and leaves the others alone', async () => {
    const document = fakeDocument();
    document.cookie = 'theme=dark';
    document.cookie = 'meridian_session_old=x';
    const store = cookieTokenStore({ document });
    assert.equal(store.load(), undefined);
    await store.save('a,b');
    assert.equal(store.load(), 'a,b');
    await store.save('');
    assert.equal(document.cookie, 'theme=dark; meridian_session_old=x');
  });

  it('treats a malformed cookie as no session', () => {
    const document = fakeDocument();
    document.cookie = 'meridian_session=%E0%A4%A';
    assert.equal(cookieTokenStore({ document }).load(), undefined);
  });

  it('says what to do without a document, or with a bad name', () => {
    assert.throws(() => cookieTokenStore(), /needs a document.*memoryTokenStore/);
    assert.throws(
      () => cookieTokenStore({ name: 'a b', document: fakeDocument() }),
      /not a valid cookie name/,
    );
  });
});
