// HTTP to the Pumpjack API (API.md sections 1 and 3): the three credentials on every call, the
// access token refreshed a minute before it expires and once on 401 token_expired, as the
// command-line client does (sync/client/api.py). The refresh token rotates on use: the new pair
// is in IndexedDB before anything else is sent.

import { getMetaMany, setMeta } from "./db.js";

export const REFRESH_MARGIN_MS = 60_000;

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

// The network is not there (offline, cut mid-request): nothing was learnt, try again later.
export class Unreachable extends Error {}

// The server refused this device's credentials: a new login is needed.
export class LoggedOut extends Error {}

const tenantId = () => document.body.dataset.tenantId;

async function errorOf(response) {
  try {
    const body = await response.json();
    if (body && body.error) return new ApiError(response.status, body.error.code, body.error.message, body.error.details);
  } catch { /* not JSON */ }
  return new ApiError(response.status, `http_${response.status}`, response.statusText || "unexpected answer");
}

// Sent on the window after every request: detail true when the server answered (whatever the
// status), false when it could not be reached (the app's online / offline mark, app.js).
export const REACHABLE_EVENT = "pumpjack:reachable";

function reached(ok) {
  globalThis.dispatchEvent?.(new CustomEvent(REACHABLE_EVENT, { detail: ok }));
}

async function send(path, { method = "GET", headers = {}, body, signal } = {}) {
  let response;
  try {
    response = await fetch(path, { method, headers, body, signal, cache: "no-store", credentials: "omit" });
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    reached(false);
    throw new Unreachable("no connection to the server");
  }
  reached(true);
  return response;
}

function tenantHeaders(secret) {
  return { "X-Tenant-ID": tenantId(), "X-Tenant-Secret": secret };
}

async function storeTokens(data) {
  await setMeta({
    access: data.access,
    refresh: data.refresh,
    accessExpiresAt: Date.now() + 1000 * (Number(data.accessExpiresIn) || 900),
  });
}

export async function login({ secret, email, password }) {
  const response = await send("/api/v1/auth/login", {
    method: "POST",
    headers: { ...tenantHeaders(secret), "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (response.status === 401) {
    throw new ApiError(401, "invalid_credentials",
      "Login refused: check your email and password. If they are right, the tenant secret on this device is no longer valid: ask your admin for the current one.");
  }
  if (response.status === 429) {
    const wait = Number(response.headers.get("Retry-After")) || 60;
    throw new ApiError(429, "throttled", `Too many failed logins: try again in ${wait} seconds.`);
  }
  if (!response.ok) throw await errorOf(response);
  const data = await response.json();
  await storeTokens(data);
  await setMeta({ secret, user: data.user, permissions: data.permissions || [] });
  return data;
}

let refreshing = null;

async function refresh() {
  // One refresh at a time: a second caller waits for the first (the old refresh token is spent).
  if (!refreshing) {
    refreshing = (async () => {
      const meta = await getMetaMany(["secret", "refresh"]);
      if (!meta.refresh || !meta.secret) throw new LoggedOut("not logged in");
      const response = await send("/api/v1/auth/refresh", {
        method: "POST",
        headers: { ...tenantHeaders(meta.secret), "Content-Type": "application/json" },
        body: JSON.stringify({ refresh: meta.refresh }),
      });
      if (response.status === 401) {
        await setMeta({ access: null, accessExpiresAt: null });
        throw new LoggedOut("The server refused this device's session: log in again (the tenant secret may have been rotated).");
      }
      if (!response.ok) throw await errorOf(response);
      await storeTokens(await response.json());
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

async function freshCredentials() {
  let meta = await getMetaMany(["secret", "access", "refresh", "accessExpiresAt"]);
  if (!meta.refresh || !meta.secret) throw new LoggedOut("not logged in");
  if (!meta.access || (meta.accessExpiresAt || 0) - Date.now() < REFRESH_MARGIN_MS) {
    await refresh();
    meta = await getMetaMany(["secret", "access"]);
  }
  return meta;
}

// An authenticated call. Returns the Response for the caller to judge, except 401 (one refresh,
// one retry, then LoggedOut). Network failures throw Unreachable.
export async function call(path, { method = "GET", headers = {}, body, json, signal } = {}) {
  if (json !== undefined) {
    body = JSON.stringify(json);
    headers = { ...headers, "Content-Type": "application/json" };
  }
  for (const round of [1, 2]) {
    const meta = await freshCredentials();
    const response = await send(path, {
      method, body, signal,
      headers: { ...tenantHeaders(meta.secret), Authorization: `Bearer ${meta.access}`, ...headers },
    });
    if (response.status !== 401) return response;
    if (round === 2) throw new LoggedOut("The server refused this device's credentials: log in again.");
    await refresh();
  }
  throw new Error("unreachable");
}

export async function callJson(path, options) {
  const response = await call(path, options);
  if (!response.ok) throw await errorOf(response);
  return response.status === 204 ? null : response.json();
}

export async function logout() {
  const meta = await getMetaMany(["secret", "refresh"]);
  if (meta.refresh && meta.secret && navigator.onLine) {
    try {
      await send("/api/v1/auth/logout", {
        method: "POST",
        headers: { ...tenantHeaders(meta.secret), "Content-Type": "application/json" },
        body: JSON.stringify({ refresh: meta.refresh }),
      });
    } catch { /* offline: the tokens are dropped anyway */ }
  }
  await setMeta({ access: null, refresh: null, accessExpiresAt: null });
}

export { errorOf };
