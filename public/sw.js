// Faraday service worker TEMPLATE: the server replaces the build token when serving /sw.js, so every
// deployment has new bytes, which is what makes the browser install a new worker (and a new cache).
const BUILD = "__FARADAY_BUILD__";
const CACHE = "faraday-shell-" + BUILD;
const CACHE_PREFIX = "faraday-shell-";

// One versioned cache for the shell document and the wasm bundle: an old "/" with a new wasm (or the
// reverse) breaks hydration, so they are only ever replaced together. The manifest, favicon and icons
// are here because Chromium re-requests them on every load, offline included.
// The server lists this build's /pkg/* files (JS, wasm, CSS) in place of the marker below.
const PRECACHE = [
  "/",
  /*__FARADAY_PKG__*/
  "/manifest.webmanifest",
  "/favicon.ico",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/icons/maskable-512.png",
];
const PRECACHED = new Set(PRECACHE);

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // "reload" bypasses the HTTP cache, so a new build never precaches a stale file from an older one.
      // addAll rejects if any response fails or is not ok: better no new worker than a half-filled cache.
      await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })));
      // The cache is complete and self-consistent, so the new build can take over right away.
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      // Older builds' shells would only waste quota; other caches (not ours) are left alone.
      const names = await caches.keys();
      await Promise.all(
        names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE).map((n) => caches.delete(n)),
      );
      // Control pages opened before this worker existed, so the first visit already works offline.
      await self.clients.claim();
    })(),
  );
});

// Lets the page activate a waiting worker on demand (e.g. from an "update available" prompt).
self.addEventListener("message", (event) => {
  if (event.data === "skipWaiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // Sync push/pull and the live SSE stream must always reach the server: a cached or buffered
  // answer would hide real state, and a worker in the middle would hold the stream open. The same
  // holds for sign-in and who is signed in (/api/auth/*), and for the club's data (/api/read/*):
  // nothing of the API is ever cached, so nothing of it outlives a sign-out or a wiped device.
  if (url.pathname === "/api" || url.pathname.startsWith("/api/")) return;

  if (request.mode === "navigate") {
    event.respondWith(navigate(request));
  } else if (PRECACHED.has(url.pathname)) {
    event.respondWith(cacheFirst(url.pathname, request));
  } else {
    event.respondWith(networkFirst(request));
  }
});

// Online, the server renders the real route (fresh SSR); offline or on a server error every route gets
// the cached "/" shell, which the app is built to hydrate at any URL. Other documents are never cached,
// because they would not match the wasm of a later build.
async function navigate(request) {
  try {
    const response = await fetch(request);
    if (response.status < 500) return response;
    return (await shell()) || response;
  } catch (err) {
    return (await shell()) || Response.error();
  }
}

async function shell() {
  const cache = await caches.open(CACHE);
  return cache.match("/");
}

// Precached files belong to this build, so the cached copy is the right one; matching by pathname
// ignores cache-busting query strings. The network only covers a cache evicted under storage pressure.
async function cacheFirst(pathname, request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(pathname)) || fetch(request);
}

// Anything else is not versioned with the shell: prefer fresh, and use a cached copy only if one exists.
async function networkFirst(request) {
  try {
    return await fetch(request);
  } catch (err) {
    const cached = await caches.match(request);
    return cached || new Response("Offline and not cached", { status: 504, statusText: "Gateway Timeout" });
  }
}
