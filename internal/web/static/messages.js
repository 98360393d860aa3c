// messages.js: keeps the thread page current. It listens to the signed-in
// user's event stream and, when a message, read receipt or edit arrives
// for this thread, fetches the page again and swaps in the list. It also
// says at once when a chosen file is too large to send. While the
// page is in view it marks the messages it shows read, so the sender's
// page shows the receipt. It sends a text without leaving the page (the
// form posts as usual with a file, or when something goes wrong, to show
// the error). When the stream's authorization ends (signed
// out, disabled, off the care team) it says so and stops. Without it the
// page works the same, a reload away.
(function () {
  "use strict";
  var file = document.getElementById("message-file");
  if (file) {
    file.addEventListener("change", function () {
      var max = parseInt(file.getAttribute("data-max-bytes"), 10);
      var f = file.files && file.files[0];
      if (f && max && f.size > max) {
        file.setCustomValidity("This file is larger than " + Math.round(max / 1048576) + " MB. Choose a smaller one.");
      } else {
        file.setCustomValidity("");
      }
      file.reportValidity();
    });
  }
  var thread = document.getElementById("thread");
  var status = document.getElementById("live-status");
  if (!thread || !status || !window.EventSource || !window.fetch) {
    return;
  }
  // The thread element is replaced on each refresh; the status stays and
  // says, in data-live, whether the stream is open (tests wait for it).
  var client = thread.getAttribute("data-client");
  var pending = false, again = false;

  function say(text) {
    status.textContent = text;
  }

  // markRead posts each shown "Mark read" form once, while the page is
  // in view.
  function markRead() {
    if (document.visibilityState !== "visible") {
      return;
    }
    var forms = document.querySelectorAll("#thread form.mark-read");
    Array.prototype.forEach.call(forms, function (f) {
      if (f.getAttribute("data-sent")) {
        return;
      }
      f.setAttribute("data-sent", "1");
      fetch(f.action, { method: "POST", credentials: "same-origin", redirect: "manual",
        headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "" })
        .catch(function () { f.removeAttribute("data-sent"); });
    });
  }

  function swapThread(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("thread");
    var current = document.getElementById("thread");
    if (fresh && current) {
      current.replaceWith(document.importNode(fresh, true));
    }
    markRead();
  }

  // showPage puts a page the server answered a post with in place of
  // this one's main content; its forms then post the ordinary way.
  function showPage(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main");
    var current = document.querySelector("main");
    if (fresh && current) {
      current.replaceWith(document.importNode(fresh, true));
      var alert = document.querySelector('main [role="alert"]');
      if (alert) {
        alert.setAttribute("tabindex", "-1");
        alert.focus();
      }
    }
  }

  function refresh() {
    if (pending) {
      again = true;
      return;
    }
    pending = true;
    fetch(window.location.pathname + window.location.search, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(swapThread)
      .catch(function () {})
      .finally(function () {
        pending = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  function onEvent(e) {
    try {
      var d = JSON.parse(e.data);
      if (d.client_id === client) {
        refresh();
      }
    } catch (err) {}
  }

  // Sending: a successful post redirects (303) to the thread, whose list
  // replaces this one; when that page shows crisis resources first, the
  // browser goes to it (a GET: reloading it sends nothing again).
  // Anything else posts the form the ordinary way.
  var compose = document.querySelector("form.compose-form");
  if (compose) {
    compose.addEventListener("submit", function (e) {
      var box = compose.querySelector("textarea");
      var button = compose.querySelector("button[type=submit]");
      // A message with a file posts the ordinary way, as does one
      // the browser would refuse anyway.
      var withFile = file && file.files && file.files.length > 0;
      if (compose.getAttribute("data-native") || withFile || !box || !box.value.trim()) {
        return;
      }
      e.preventDefault();
      button.disabled = true;
      fetch(compose.action, { method: "POST", credentials: "same-origin", body: new FormData(compose) })
        .then(function (r) {
          if (r.ok && !r.redirected) {
            // A page of the server's own in answer: show it. Posting
            // again could send the message twice.
            return r.text().then(showPage);
          }
          if (!r.ok) {
            return Promise.reject(r.status); // refused: nothing was stored
          }
          return r.text().then(function (html) {
            compose.reset();
            if (html.indexOf('class="crisis-now"') >= 0) {
              window.location.assign(r.url);
              return;
            }
            swapThread(html);
            say("Sent.");
          });
        })
        .catch(function () {
          compose.setAttribute("data-native", "1");
          compose.submit();
        })
        .finally(function () { button.disabled = false; });
    });
  }

  var es = new EventSource("/api/v1/events");
  es.addEventListener("message", onEvent);
  es.addEventListener("checkin", onEvent);
  es.addEventListener("read", onEvent);
  es.addEventListener("edit", onEvent);
  es.addEventListener("open", function () {
    status.setAttribute("data-live", "open");
    // What arrived between this page's rendering and the stream's start.
    refresh();
  });
  es.addEventListener("revoked", function (e) {
    var d = {};
    try { d = JSON.parse(e.data); } catch (err) {}
    if (d.reason === "care-team" && d.client_id !== client) {
      return; // another client's thread: this one is still ours
    }
    es.close();
    status.setAttribute("data-live", "closed");
    if (d.reason === "care-team") {
      say("You are no longer on this client's care team. Reload the page to see what you may still see.");
    } else {
      say("Your session has ended, so new messages no longer appear here. Sign in again to continue.");
    }
  });
  es.addEventListener("error", function () {
    status.setAttribute("data-live", es.readyState === EventSource.CLOSED ? "closed" : "connecting");
    if (es.readyState === EventSource.CLOSED) {
      say("New messages no longer appear here by themselves. Reload the page to see them.");
    }
  });
  document.addEventListener("visibilitychange", markRead);
  markRead();
})();
