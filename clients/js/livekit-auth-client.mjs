// A LiveKit login client for browsers and Node 20+: log in once with a password, keep the session,
// and hand livekit-client a TokenSource that gets short tokens from the service's token endpoint.
// Documentation: docs/clients.md. Tested by clients/js/livekit-auth-client.test.mjs against the local stack.
//
//   const auth = new LiveKitAuthClient({ baseUrl: 'https://auth.example.com' });
//   const tokenSource = await auth.login({ username, password, device: 'laptop' });
//   const { serverUrl, participantToken } = await tokenSource.fetch({ roomName: 'channel-1234567' });
//   await room.connect(serverUrl, participantToken);

import { TokenSource } from 'livekit-client';

/** The service's routes, relative to baseUrl (template.yaml is their home; the test checks them). */
export const ROUTES = Object.freeze({
  login: 'api/auth/client/',
  token: 'api/auth/token/',
  refresh: 'api/auth/refresh/',
  logout: 'api/auth/logout/',
});

/**
 * How long after a refresh was sent the client may present the same token again when the answer was lost
 * (a dropped connection, a gateway's 5xx): the server answers a repeat within its grace window
 * (livekit_auth.sessions.ROTATION_GRACE_SECONDS) with the same successor. Kept below that window,
 * which a test holds, because the old token presented after it revokes the session as copied.
 */
export const REFRESH_RETRY_WINDOW_SECONDS = 20;

/** Waits between refresh attempts whose answer was lost, while REFRESH_RETRY_WINDOW_SECONDS lasts. */
const REFRESH_RETRY_DELAYS_MS = [250, 1000, 2500, 5000];

/** A device label the server accepts in an identity `<user_id>:<device>` (livekit_auth.sessions.DEVICE_IDENTITY). */
export const DEVICE_IDENTITY = /^[A-Za-z0-9_-]{1,64}$/;

/** A refused or failed call. `message` is the server's own (Persian) `error` whenever it sent one. */
export class AuthError extends Error {
  constructor(message, { status = 0, body = null, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AuthError';
    this.status = status; // the HTTP status, 0 when no answer arrived
    this.body = body; // the parsed answer, if it was JSON
  }
}

/** The default storage: the session lives as long as this object (a page load, a Node process). */
export function memoryStorage() {
  let saved = null;
  return {
    get: () => saved,
    set: (session) => {
      saved = session;
    },
    remove: () => {
      saved = null;
    },
  };
}

/** A session kept in Web Storage (localStorage, sessionStorage) under `key`, shared by a site's tabs. */
export function webStorage(store, key = 'livekit-auth-session') {
  return {
    get: () => {
      const text = store.getItem(key);
      return text ? JSON.parse(text) : null;
    },
    set: (session) => store.setItem(key, JSON.stringify(session)),
    remove: () => store.removeItem(key),
  };
}

/**
 * One user's session with the login service.
 *
 * Storage is any object with get(), set(session) and remove(), sync or async (memoryStorage,
 * webStorage, or an adapter for AsyncStorage, Keychain ...). It holds the session token, so keep it
 * where you would keep a password-equivalent secret.
 */
export class LiveKitAuthClient {
  #baseUrl;
  #storage;
  #fetch;
  #refreshing = null; // one rotation at a time: a second refresh() joins the first

  // The default calls fetch through globalThis: a browser refuses window.fetch called on another object
  // ("Illegal invocation"), as it would be here as this.#fetch(...).
  constructor({ baseUrl, storage = memoryStorage(), fetch: fetchFunction = (...args) => globalThis.fetch(...args) } = {}) {
    if (!baseUrl) throw new TypeError('baseUrl is required: the URL in front of /api/auth/');
    this.#baseUrl = new URL(String(baseUrl).replace(/\/*$/, '/'));
    this.#storage = storage;
    this.#fetch = fetchFunction;
  }

  /** The URL of one of the service's ROUTES, e.g. url('token') for TokenSource.endpoint. */
  url(route) {
    return new URL(ROUTES[route], this.#baseUrl).href;
  }

  /**
   * Log in with the password and open a session; returns tokenSource().
   *
   * `device` labels the session in `authctl user sessions`; when it is letters, digits, `_` or `-`
   * (at most 64) it also makes the participant identity `<user_id>:<device>`, so two devices of one
   * user can sit in the same room (any other label, say "Pixel 8", leaves the identity the user id:
   * the server refuses it in an identity). `serverUrl` is the guide's optional `server_url`.
   */
  async login({ username, password, device, serverUrl } = {}) {
    const body = { username, password, session: true };
    if (device !== undefined) body.device = device;
    if (serverUrl !== undefined) body.server_url = serverUrl;
    const answer = await this.#call('login', { body });
    if (!answer?.session?.token) {
      throw new AuthError('the server opened no session: does it support sessions (issue 11)?', {
        status: 200,
      });
    }
    await this.#storage.set({
      token: answer.session.token,
      expiresAt: answer.session.expires_at,
      userId: answer.user_id,
      username: answer.username,
      serverUrl: answer.server_url,
      channels: answer.channels,
      device: device ?? null,
    });
    return this.tokenSource();
  }

  /** The stored session ({userId, username, channels, serverUrl, device, expiresAt}), or null. */
  async session() {
    const saved = await this.#storage.get();
    if (!saved) return null;
    if (saved.expiresAt * 1000 <= Date.now()) {
      await this.#storage.remove();
      return null;
    }
    const { token, ...visible } = saved;
    return visible;
  }

  /** The participant identity tokens carry by default: `<user_id>:<device>`, or the user id. */
  async identity() {
    return defaultIdentity(await this.#requireSession());
  }

  /**
   * A livekit-client TokenSource over the token endpoint with the stored session.
   *
   * TokenSource.custom rather than TokenSource.endpoint: each fetch reads the current session token,
   * so it survives refresh() (a fixed Bearer header would carry a rotated-out token, and presenting
   * one after the grace window revokes the session). livekit-client caches its answer while it is
   * valid and the options are the same, but only within one session: after logout() (or a 401) the
   * next fetch rejects with the 401 AuthError, and after a new login it fetches for the new session.
   */
  tokenSource() {
    const source = TokenSource.custom((options) => this.#fetchToken(options));
    const cachedFetch = source.fetch.bind(source);
    let cachedFor = null; // the session id the cached answer was fetched for
    source.fetch = async (options, force = false) => {
      const saved = await this.#requireSession(); // logged out: the documented 401, never a cached token
      const stale = cachedFor !== sessionId(saved.token);
      cachedFor = sessionId(saved.token);
      return cachedFetch(options, force || stale);
    };
    return source;
  }

  /** Rotate the session token (same expiry); the old one works only for the server's grace window. */
  async refresh() {
    this.#refreshing ??= this.#rotate().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  /** End the session on the server and forget it here; a session the server already ended is fine. */
  async logout() {
    const saved = await this.#storage.get();
    if (!saved) return;
    try {
      await this.#call('logout', { token: saved.token });
    } catch (error) {
      if (!(error instanceof AuthError && error.status === 401)) throw error;
    } finally {
      await this.#forget(saved.token);
    }
  }

  async #rotate() {
    const saved = await this.#requireSession();
    const answer = await this.#refreshRetryingLostAnswers(saved);
    await this.#storage.set({ ...saved, token: answer.token, expiresAt: answer.expires_at });
    return { expiresAt: answer.expires_at };
  }

  /**
   * The refresh call, asked again with the same token when its answer may have been lost after the server
   * rotated (no answer, or a 5xx), for REFRESH_RETRY_WINDOW_SECONDS: the server answers a repeat with the
   * successor it already issued, so a flaky network neither forks the session nor gets it revoked.
   */
  async #refreshRetryingLostAnswers(saved) {
    const sentAt = Date.now();
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.#authorized('refresh', saved);
      } catch (error) {
        const lost = error instanceof AuthError && (error.status === 0 || error.status >= 500);
        const delay = REFRESH_RETRY_DELAYS_MS[attempt];
        const late = delay === undefined || Date.now() + delay - sentAt >= REFRESH_RETRY_WINDOW_SECONDS * 1000;
        if (!lost || late) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async #fetchToken(options) {
    if (this.#refreshing) await this.#refreshing.catch(() => {});
    const saved = await this.#requireSession();
    const body = tokenRequest(options);
    if (body.participant_identity === undefined && saved.device) body.participant_identity = defaultIdentity(saved);
    return this.#authorized('token', saved, body);
  }

  /** A call with the session token; a 401 means the session is over, so it is forgotten. */
  async #authorized(route, saved, body) {
    try {
      return await this.#call(route, { token: saved.token, body });
    } catch (error) {
      if (error instanceof AuthError && error.status === 401) await this.#forget(saved.token);
      throw error;
    }
  }

  async #requireSession() {
    const saved = await this.#storage.get();
    if (!saved) throw new AuthError('no session: log in first', { status: 401 });
    return saved;
  }

  /** Remove the stored session unless another tab has stored a newer one meanwhile. */
  async #forget(token) {
    const saved = await this.#storage.get();
    if (saved?.token === token) await this.#storage.remove();
  }

  async #call(route, { token, body } = {}) {
    const headers = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
      response = await this.#fetch(this.url(route), {
        method: 'POST',
        headers,
        body: JSON.stringify(body ?? {}),
      });
    } catch (cause) {
      throw new AuthError(`the login service could not be reached (${cause.message})`, { cause });
    }
    const text = await response.text();
    let answer = null;
    try {
      answer = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: a proxy's or gateway's page; the status says what happened
    }
    if (!response.ok) {
      const message = typeof answer?.error === 'string' ? answer.error : `HTTP ${response.status}`;
      throw new AuthError(message, { status: response.status, body: answer });
    }
    return answer;
  }
}

/** The session id: the session token's first part (the same through every refresh). */
function sessionId(token) {
  return String(token).split('.', 1)[0];
}

/** `<user_id>:<device>` when the device label can stand in an identity, else the user id. */
function defaultIdentity(saved) {
  return saved.device && DEVICE_IDENTITY.test(saved.device) ? `${saved.userId}:${saved.device}` : saved.userId;
}

/** livekit-client's fetch options in LiveKit's TokenSourceRequest JSON (snake_case), as TokenSource.endpoint sends them. */
export function tokenRequest(options = {}) {
  const request = {};
  const fields = {
    roomName: 'room_name',
    participantName: 'participant_name',
    participantIdentity: 'participant_identity',
    participantMetadata: 'participant_metadata',
    participantAttributes: 'participant_attributes',
  };
  for (const [option, field] of Object.entries(fields)) {
    if (options[option] !== undefined) request[field] = options[option];
  }
  const agent = {};
  if (options.agentName !== undefined) agent.agent_name = options.agentName;
  if (options.agentMetadata !== undefined) agent.metadata = options.agentMetadata;
  if (options.deployment !== undefined) agent.deployment = options.deployment;
  if (Object.keys(agent).length) request.room_config = { agents: [agent] };
  return request;
}
