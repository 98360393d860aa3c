// Interlude's service worker: it shows what the server pushes. A push
// carries no PHI, only "You have a new message in Interlude" and the page
// to open (internal/notify). It caches nothing: pages may hold PHI and
// are never stored by the browser.
"use strict";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("push", function (event) {
  var data = { title: "Interlude", body: "Something is waiting for you in Interlude.", url: "/", tag: "interlude" };
  if (event.data) {
    try {
      var got = event.data.json();
      ["title", "body", "url", "tag"].forEach(function (k) {
        if (typeof got[k] === "string" && got[k]) {
          data[k] = got[k];
        }
      });
    } catch (e) {
      // Not JSON: show the default text.
    }
  }
  event.waitUntil(self.registration.showNotification(data.title, {
    body: data.body, tag: data.tag, renotify: true, data: { url: data.url }
  }));
});

// A click opens the page the notice links to, on this site only.
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var path = "/";
  try {
    var u = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
    path = u.pathname + u.search;
  } catch (e) {
    path = "/";
  }
  var target = new URL(path, self.location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      var client = list[i];
      if (new URL(client.url).origin === self.location.origin && "focus" in client) {
        return client.focus().then(function (c) {
          return c.navigate(target);
        }).catch(function () {
          return self.clients.openWindow(target);
        });
      }
    }
    return self.clients.openWindow(target);
  }));
});
