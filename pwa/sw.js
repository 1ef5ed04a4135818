// The app shell, cached under a versioned name: the app starts with no network once it has been opened.
// A new version installs alongside and waits; the page lets it take over only when its outbox is empty,
// so no scan is ever held by a version that is going away. API calls always go to the network.

// Both filled in by the server as it serves this file (server/shell.py): the shell is every file of the app, and the
// version a digest of their content, so any change to the app is a new version.
const VERSION = "";
const SHELL = [];
const CACHE = `cangku-shell-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("cangku-shell-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "activate") self.skipWaiting();
  // A page that asked and is gone meanwhile has no one to answer.
  if (event.data && event.data.type === "version") event.source?.postMessage({ type: "version", version: VERSION });
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")
      || url.pathname === "/health" || url.pathname.startsWith("/schema")) {
    return;  // the network, as if there were no worker
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const key = event.request.mode === "navigate" ? "/index.html" : url.pathname;
    const cached = await cache.match(key);
    if (cached) return cached;
    try {
      return await fetch(event.request);
    } catch {
      return new Response("离线 Offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
    }
  })());
});
