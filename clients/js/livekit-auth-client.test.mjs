// The JS client against a running local stack, through livekit-client's real TokenSource and
// livekit-server-sdk's TokenVerifier. tests/e2e/test_js_client.py starts the stack and runs this with
// LIVEKIT_AUTH_TEST set to a JSON object: base_url, api_key, api_secret, password, users {demo, viewer},
// rooms (the demo user's, in channel-id order), token_ttl_seconds, refresh_grace_seconds and messages
// (the server's Persian texts, from livekit_auth.messages).
//
//   node --test clients/js/livekit-auth-client.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TokenSource } from 'livekit-client';
import { TokenVerifier } from 'livekit-server-sdk';

import {
  AuthError,
  LiveKitAuthClient,
  REFRESH_RETRY_WINDOW_SECONDS,
  ROUTES,
  memoryStorage,
  webStorage,
} from './livekit-auth-client.mjs';

const config = JSON.parse(process.env.LIVEKIT_AUTH_TEST ?? 'null');
assert.ok(config, 'LIVEKIT_AUTH_TEST is not set: run this through tests/e2e/test_js_client.py');
const verifier = new TokenVerifier(config.api_key, config.api_secret);
const [firstRoom, secondRoom] = config.rooms;

/** A client over its own memory storage, which the test can look into. */
function client() {
  const storage = memoryStorage();
  return { auth: new LiveKitAuthClient({ baseUrl: config.base_url, storage }), storage };
}

async function logIn(options = {}) {
  const { auth, storage } = client();
  const tokenSource = await auth.login({ username: config.users.demo, password: config.password, ...options });
  return { auth, storage, tokenSource };
}

/** A Web Storage stand-in (the browser's localStorage) for Node. */
class MapStorage {
  #items = new Map();
  getItem(key) {
    return this.#items.has(key) ? this.#items.get(key) : null;
  }
  setItem(key, value) {
    this.#items.set(key, String(value));
  }
  removeItem(key) {
    this.#items.delete(key);
  }
}

async function rejectsWith(promise, status, message) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof AuthError, `expected an AuthError, got ${error}`);
    assert.equal(error.status, status);
    if (message !== undefined) assert.equal(error.message, message);
    return true;
  });
}

test('login opens a session and the TokenSource gets a short token for the first room', async () => {
  const { auth, tokenSource } = await logIn();
  const session = await auth.session();
  assert.equal(session.username, config.users.demo);
  assert.equal(session.channels.length, config.rooms.length);
  assert.ok(session.expiresAt > Date.now() / 1000);
  assert.equal('token' in session, false, 'session() does not hand out the session token');

  const before = Math.floor(Date.now() / 1000);
  const answer = await tokenSource.fetch({});
  assert.deepEqual(Object.keys(answer).sort(), ['participantToken', 'serverUrl']); // LiveKit's TokenSourceResponse
  assert.equal(answer.serverUrl, session.serverUrl);

  const claims = await verifier.verify(answer.participantToken);
  assert.equal(claims.iss, config.api_key);
  assert.equal(claims.sub, session.userId, 'without a device the identity is the user id');
  assert.equal(typeof claims.name, 'string', "the name is the server's choice");
  assert.equal(claims.video.room, firstRoom);
  assert.equal(claims.video.roomJoin, true);
  assert.equal(claims.video.canPublish, true);
  assert.equal(claims.video.canSubscribe, true);
  assert.equal(claims.exp - claims.nbf, config.token_ttl_seconds);
  assert.ok(Math.abs(claims.nbf - before) <= 5, 'nbf is now');
});

test("a device gives the identity <user_id>:<device>, the bare user id can be asked for, another device's cannot", async () => {
  const { auth, tokenSource } = await logIn({ device: 'laptop-1' });
  const { userId } = await auth.session();
  assert.equal(await auth.identity(), `${userId}:laptop-1`);

  const answer = await tokenSource.fetch({ roomName: secondRoom });
  const claims = await verifier.verify(answer.participantToken);
  assert.equal(claims.sub, `${userId}:laptop-1`);
  assert.equal(claims.video.room, secondRoom);

  const bare = await tokenSource.fetch({ roomName: secondRoom, participantIdentity: userId });
  assert.equal((await verifier.verify(bare.participantToken)).sub, userId, 'the bare user id is accepted');

  // The device part is the session's own (issue 18): this session cannot speak as the user's phone.
  await rejectsWith(
    tokenSource.fetch({ roomName: secondRoom, participantIdentity: `${userId}:phone` }),
    403,
    config.messages.identity_not_allowed,
  );
});

test('a device label the server refuses in an identity ("Pixel 8") leaves the identity the user id', async () => {
  const { auth, tokenSource } = await logIn({ device: 'Pixel 8' });
  const { userId, device } = await auth.session();
  assert.equal(device, 'Pixel 8');
  assert.equal(await auth.identity(), userId);
  const answer = await tokenSource.fetch({});
  assert.equal((await verifier.verify(answer.participantToken)).sub, userId);
});

test('two devices of one user get distinct identities for the same room', async () => {
  const phone = await logIn({ device: 'phone' });
  const laptop = await logIn({ device: 'laptop' });
  const [a, b] = await Promise.all([phone.tokenSource.fetch({}), laptop.tokenSource.fetch({})]);
  const [claimsA, claimsB] = await Promise.all([verifier.verify(a.participantToken), verifier.verify(b.participantToken)]);
  assert.equal(claimsA.video.room, claimsB.video.room);
  assert.notEqual(claimsA.sub, claimsB.sub);
});

test("the membership's flags apply: the viewer cannot publish", async () => {
  const { auth } = client();
  const tokenSource = await auth.login({ username: config.users.viewer, password: config.password });
  const claims = await verifier.verify((await tokenSource.fetch({})).participantToken);
  assert.equal(claims.video.canPublish, false);
  assert.equal(claims.video.canSubscribe, true);
});

test("refusals surface the server's Persian error", async () => {
  const { auth, storage } = client();
  await rejectsWith(
    auth.login({ username: config.users.demo, password: 'not-the-password' }),
    401,
    config.messages.invalid_credentials,
  );
  assert.equal(storage.get(), null);

  const { tokenSource } = await logIn();
  await rejectsWith(tokenSource.fetch({ roomName: 'channel-1' }), 403, config.messages.room_not_allowed);
  await rejectsWith(tokenSource.fetch({ participantIdentity: 'someone-else' }), 403, config.messages.identity_not_allowed);
  await rejectsWith(tokenSource.fetch({ participantName: 'Mallory' }), 400);
});

test("LiveKit's own TokenSource.endpoint works with the Bearer session token", async () => {
  const { auth, storage } = await logIn();
  const endpoint = TokenSource.endpoint(auth.url('token'), {
    headers: { Authorization: `Bearer ${storage.get().token}` },
  });
  const answer = await endpoint.fetch({ roomName: secondRoom });
  const claims = await verifier.verify(answer.participantToken);
  assert.equal(claims.sub, (await auth.session()).userId);
  assert.equal(claims.video.room, secondRoom);

  const anonymous = TokenSource.endpoint(auth.url('token'));
  await assert.rejects(anonymous.fetch({}), /received 401/);
});

test('refresh() rotates the session token, keeps the expiry, and the TokenSource follows', async () => {
  const storage = memoryStorage();
  const sent = []; // the Authorization header of each call, in order
  const recordingFetch = (url, init) => {
    sent.push(init.headers.Authorization);
    return fetch(url, init);
  };
  const auth = new LiveKitAuthClient({ baseUrl: config.base_url, storage, fetch: recordingFetch });
  const tokenSource = await auth.login({ username: config.users.demo, password: config.password, device: 'tablet' });
  const before = storage.get();
  const [first, second] = await Promise.all([auth.refresh(), auth.refresh()]);
  assert.deepEqual(first, second, 'concurrent refreshes share one rotation');
  const after = storage.get();
  assert.notEqual(after.token, before.token);
  assert.equal(after.expiresAt, before.expiresAt);
  assert.equal(first.expiresAt, before.expiresAt);

  const answer = await tokenSource.fetch({}, true);
  assert.equal((await verifier.verify(answer.participantToken)).sub, `${before.userId}:tablet`);
  assert.deepEqual(sent, [undefined, `Bearer ${before.token}`, `Bearer ${after.token}`]);

  // Within the grace window (config.refresh_grace_seconds) the rotated-out token still works.
  assert.ok(config.refresh_grace_seconds > 0);
  const oldToken = TokenSource.endpoint(auth.url('token'), { headers: { Authorization: `Bearer ${before.token}` } });
  await oldToken.fetch({});
});

test('logout() ends the session: the TokenSource then fails with 401', async () => {
  const { auth, storage, tokenSource } = await logIn();
  const token = storage.get().token;
  await tokenSource.fetch({});
  await auth.logout();
  assert.equal(storage.get(), null);
  assert.equal(await auth.session(), null);

  await rejectsWith(tokenSource.fetch({}, true), 401);
  const stale = TokenSource.endpoint(auth.url('token'), { headers: { Authorization: `Bearer ${token}` } });
  await assert.rejects(stale.fetch({}), /received 401/);
  await auth.logout(); // nothing left to end: no error
});

test('logout() clears the cached LiveKit tokens: the next fetch rejects with 401, a new login gets its own', async () => {
  // Given: a TokenSource whose answer livekit-client has cached
  const { auth, tokenSource } = await logIn();
  await tokenSource.fetch({});
  // When: the user logs out
  await auth.logout();
  // Then: the same fetch (no force) no longer hands out the cached token (issue 18, L4)
  await rejectsWith(tokenSource.fetch({}), 401);
  // And after another user logs in on this client, the old source fetches for the new session
  await auth.login({ username: config.users.viewer, password: config.password });
  const claims = await verifier.verify((await tokenSource.fetch({})).participantToken);
  assert.equal(claims.sub, (await auth.session()).userId);
  assert.equal(claims.video.canPublish, false, "the viewer's grants, not the cached demo token's");
});

test('a refresh whose answer is lost is retried within the grace window and gets the same successor', async () => {
  // Given: a network that loses the first refresh answer after the server sent it
  const storage = memoryStorage();
  const refreshes = []; // the Authorization header of each refresh call
  let lost = null;
  const flakyFetch = async (url, init) => {
    const isRefresh = new URL(url).pathname.endsWith(`/${ROUTES.refresh}`);
    if (isRefresh) refreshes.push(init.headers.Authorization);
    const response = await fetch(url, init);
    if (isRefresh && lost === null) {
      lost = await response.json();
      throw new TypeError('network connection lost');
    }
    return response;
  };
  const auth = new LiveKitAuthClient({ baseUrl: config.base_url, storage, fetch: flakyFetch });
  const tokenSource = await auth.login({ username: config.users.demo, password: config.password });
  const before = storage.get();
  // When
  const result = await auth.refresh();
  // Then: the client asked again with the same token and was given the successor the lost answer carried
  assert.equal(refreshes.length, 2);
  assert.deepEqual(refreshes, [`Bearer ${before.token}`, `Bearer ${before.token}`]);
  assert.notEqual(lost.token, before.token);
  assert.equal(storage.get().token, lost.token, 'one successor: the session did not fork');
  assert.equal(result.expiresAt, before.expiresAt);
  assert.ok(REFRESH_RETRY_WINDOW_SECONDS < config.refresh_grace_seconds, 'retries end before the grace does');
  await tokenSource.fetch({}, true);
});

test('a 401 from the server forgets the session here too', async () => {
  const first = await logIn();
  const shared = first.storage.get();
  const other = new LiveKitAuthClient({ baseUrl: config.base_url, storage: memoryStorage() });
  const copy = memoryStorage();
  copy.set(shared);
  const copied = new LiveKitAuthClient({ baseUrl: config.base_url, storage: copy });
  await first.auth.logout();

  await rejectsWith(copied.tokenSource().fetch({}), 401, config.messages.session_required);
  assert.equal(copy.get(), null);
  await rejectsWith(other.tokenSource().fetch({}), 401);
});

test('a session in Web Storage reconnects a new page without the password', async () => {
  const localStorage = new MapStorage();
  const firstPage = new LiveKitAuthClient({ baseUrl: config.base_url, storage: webStorage(localStorage) });
  await firstPage.login({ username: config.users.demo, password: config.password, device: 'browser' });
  assert.ok(localStorage.getItem('livekit-auth-session'));

  const nextPage = new LiveKitAuthClient({ baseUrl: config.base_url, storage: webStorage(localStorage) });
  const answer = await nextPage.tokenSource().fetch({ roomName: firstRoom });
  const claims = await verifier.verify(answer.participantToken);
  assert.equal(claims.sub, `${(await nextPage.session()).userId}:browser`);

  await nextPage.logout();
  assert.equal(localStorage.getItem('livekit-auth-session'), null);
});

test('an unreachable service is an AuthError with status 0', async () => {
  const auth = new LiveKitAuthClient({ baseUrl: 'http://127.0.0.1:9', storage: memoryStorage() });
  await rejectsWith(auth.login({ username: config.users.demo, password: config.password }), 0);
});
