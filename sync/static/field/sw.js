// The field app's service worker (served at /field/sw.js, scope /field/). The server puts two
// constants before this text: SHELL_VERSION (a digest of the app's files) and SHELL_URLS.
// Install caches the shell in a cache named after the version; activate deletes older caches
// and takes over open pages at once (skipWaiting + clients.claim; the page offers a reload).
// The API is never cached here: field data lives in IndexedDB.
/* global SHELL_VERSION, SHELL_URLS */

const CACHE = `pumpjack-field-${SHELL_VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL_URLS.map((url) => new Request(url, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("pumpjack-field-") && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate" && url.pathname.startsWith("/field/")) {
    // The shell for every page of the app, from the cache first: it opens with no network.
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      const cached = await cache.match("/field/");
      if (cached) return cached;
      return fetch(request);
    })());
    return;
  }
  if (SHELL_URLS.includes(url.pathname)) {
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      return (await cache.match(url.pathname)) || fetch(request);
    })());
  }
});
