// Web Push on /account/notifications: turns notifications on or off for
// this browser. Progressive enhancement: without service workers or the
// Push API the page says so, and the rest of it works as it is. Messages
// are set with textContent only.
(function () {
  "use strict";

  var box = document.getElementById("push");
  if (!box) {
    return;
  }
  var state = document.getElementById("push-state");
  var on = document.getElementById("push-on");
  var off = document.getElementById("push-off");
  var status = document.getElementById("push-status");

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    state.textContent = "This browser cannot show notifications from Interlude.";
    return;
  }

  // The VAPID key is base64url text; subscribe takes its bytes.
  function toBytes(text) {
    var s = String(text).replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) {
      s += "=";
    }
    var bin = atob(s);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      bytes[i] = bin.charCodeAt(i);
    }
    return bytes;
  }

  function api(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: {} };
    if (body) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      if (!r.ok) {
        throw new Error("The server answered " + r.status + ".");
      }
      return r.status === 204 ? null : r.json();
    });
  }

  // save sends this browser's subscription to the server, which keeps it
  // sealed; the answer carries its id.
  function save(sub) {
    var j = sub.toJSON();
    return api("POST", "/api/v1/me/push-subscriptions", {
      endpoint: j.endpoint, keys: { p256dh: j.keys.p256dh, auth: j.keys.auth }
    });
  }

  function show(subscribed) {
    on.hidden = true;
    off.hidden = true;
    if (subscribed) {
      state.textContent = "Notifications are on for this browser.";
      off.hidden = false;
    } else if (Notification.permission === "denied") {
      state.textContent = "Notifications are blocked for this site in your browser's settings.";
    } else {
      state.textContent = "Notifications are off for this browser.";
      on.hidden = false;
    }
  }

  function failed(err) {
    on.disabled = false;
    off.disabled = false;
    status.textContent = (err && err.message) || "Something went wrong. Please try again.";
  }

  var ready = navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
    return navigator.serviceWorker.ready;
  });

  // On each visit a subscribed browser confirms its subscription, so that
  // the server has its current keys, for whoever is signed in here.
  ready.then(function (reg) {
    return reg.pushManager.getSubscription();
  }).then(function (sub) {
    show(!!sub);
    if (sub) {
      return save(sub);
    }
  }).catch(function () {
    state.textContent = "This browser cannot show notifications from Interlude here.";
  });

  on.addEventListener("click", function () {
    on.disabled = true;
    status.textContent = "Asking your browser…";
    Promise.resolve(Notification.requestPermission()).then(function (permission) {
      if (permission !== "granted") {
        throw new Error("Your browser did not allow notifications. You can allow them in its site settings.");
      }
      return ready;
    }).then(function (reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: toBytes(box.dataset.key) });
    }).then(save).then(function () {
      window.location.assign("/account/notifications?done=push-on");
    }).catch(failed);
  });

  off.addEventListener("click", function () {
    off.disabled = true;
    status.textContent = "Turning notifications off…";
    ready.then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (sub) {
      if (!sub) {
        return null;
      }
      return save(sub).then(function (saved) {
        return api("DELETE", "/api/v1/me/push-subscriptions/" + encodeURIComponent(saved.id));
      }).then(function () {
        return sub.unsubscribe();
      });
    }).then(function () {
      window.location.assign("/account/notifications?done=push-off");
    }).catch(failed);
  });
}());
