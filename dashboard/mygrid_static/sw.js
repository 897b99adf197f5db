/* 我的网格's service worker (docs/mygrid.md, "Weak connections and offline"). Scope: /mygrid.
   It keeps the page's script and stylesheet and an offline copy of the page (the form, the
   grid outline and the categories: no task list, no person) for this session. A visit
   that cannot reach the server gets that copy, so a report can still be written offline;
   the page's own queue (IndexedDB) sends it when the connection is back. Reports are POSTs
   outside the scope and never pass through here. */
"use strict";
var CACHE = "mygrid-v1";
var params = new URL(self.location.href).searchParams;
var PAGE = params.get("page") || "/mygrid";
var SHELL = params.get("shell") || "/mygrid/offline";
var ASSETS = (params.get("assets") || "").split(",").filter(Boolean);

function keepShell() {
  return fetch(SHELL, { credentials: "same-origin", redirect: "manual" }).then(function (r) {
    if (r.ok) { return caches.open(CACHE).then(function (c) { return c.put(SHELL, r); }); }
    return null;
  }, function () { return null; });
}

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(CACHE)
    .then(function (c) { return c.addAll([SHELL].concat(ASSETS)); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (e) {
  var req = e.request, url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (req.mode === "navigate" && url.pathname === PAGE) {
    e.respondWith(fetch(req).then(function (resp) {
      e.waitUntil(keepShell());  /* the copy follows the session (another worker, new grids) */
      return resp;
    }, function () {
      return caches.match(SHELL).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (ASSETS.indexOf(url.pathname) >= 0) {  /* content-digest URLs: never change */
    e.respondWith(caches.match(req).then(function (hit) { return hit || fetch(req); }));
  }
});
