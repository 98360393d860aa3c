// messages.js: keeps the thread page current. It opens the page at the
// newest message. It listens to the signed-in user's event stream and,
// when a message, read receipt or edit arrives for this thread, fetches
// the page again and merges it in: new messages at the bottom, followed
// into view only when the reader was at the newest (else the status says
// they are below), so that nothing moves under someone reading back.
// "Earlier messages" brings the earlier page in above, in place. It also
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
  // The page opens at the newest message, the compose box under it, as
  // a messaging app does; not when the address names a place on the
  // page, nor when crisis resources show first. A refused form opens at
  // its error.
  var refused = document.querySelector('main [role="alert"]');
  if (refused) {
    refused.scrollIntoView({ block: "center" });
  } else if (thread && !window.location.hash && !document.querySelector(".crisis-now")) {
    var newest = document.querySelectorAll("#thread li.message");
    if (newest.length) {
      newest[newest.length - 1].scrollIntoView({ block: "center" });
    }
  }
  if (!thread || !status || !window.EventSource || !window.fetch) {
    return;
  }
  // The thread is brought up to date on each refresh; the status stays and
  // says, in data-live, whether the stream is open (tests wait for it).
  var client = thread.getAttribute("data-client");
  var pending = false, again = false;
  var below = false; // the status says new messages are below

  // Once the reader reaches the newest message, the status has said its piece.
  window.addEventListener("scroll", function () {
    if (below && newestAt() !== "below") {
      below = false;
      say("");
    }
  }, { passive: true });

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

  // lastMessage is the newest message the page shows, or null.
  function lastMessage() {
    var all = document.querySelectorAll("#thread li.message");
    return all.length ? all[all.length - 1] : null;
  }

  // newestAt says where the newest message is for the reader: "in"
  // view (new ones then come into view as they arrive), "below" (they
  // have scrolled up to read back: nothing moves under them), or "above"
  // (they are at the compose box).
  function newestAt() {
    var last = lastMessage();
    if (!last) {
      return "in";
    }
    var r = last.getBoundingClientRect();
    if (r.top >= window.innerHeight) {
      return "below";
    }
    return r.bottom <= 0 ? "above" : "in";
  }

  function showNewest(block) {
    var last = lastMessage();
    if (last) {
      last.scrollIntoView({ block: block || "nearest" });
    }
  }

  // mergeThread brings the page's thread up to date with a fresh copy of
  // the page: a message it shows already is replaced (a receipt, an
  // edit), a new one goes at the bottom, under its day. What is above
  // stays where it is, and so do earlier messages this page has loaded.
  function mergeThread(fresh, current) {
    var list = current.querySelector("div#thread-list");
    var freshList = fresh.querySelector("div#thread-list");
    if (!list || !freshList) {
      current.replaceWith(document.importNode(fresh, true));
      return 0;
    }
    var added = 0;
    Array.prototype.forEach.call(freshList.querySelectorAll(":scope > .day"), function (fd) {
      var day = null;
      Array.prototype.forEach.call(list.querySelectorAll(":scope > .day"), function (d) {
        if (d.getAttribute("data-day") === fd.getAttribute("data-day")) {
          day = d;
        }
      });
      if (!day) {
        list.appendChild(document.importNode(fd, true));
        added += fd.querySelectorAll("li.message").length;
        return;
      }
      var ol = day.querySelector("ol.thread");
      Array.prototype.forEach.call(fd.querySelectorAll("li.message"), function (fm) {
        var m = document.getElementById(fm.id);
        var copy = document.importNode(fm, true);
        if (m) {
          if (m.innerHTML !== fm.innerHTML || m.className !== fm.className) {
            m.replaceWith(copy);
          }
        } else {
          ol.appendChild(copy);
          added++;
        }
      });
    });
    return added;
  }

  function swapThread(html, mine) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("thread");
    var current = document.getElementById("thread");
    if (fresh && current) {
      var where = mine ? "in" : newestAt();
      var added = mergeThread(fresh, current);
      if (added > 0) {
        if (where === "in") {
          showNewest();
        } else if (where === "below") {
          below = true;
          say(added === 1 ? "A new message is below." : added + " new messages are below.");
        } else {
          say(added === 1 ? "A new message arrived." : added + " new messages arrived.");
        }
      }
    }
    markRead();
  }

  // Earlier messages come in above the ones shown, where they are read
  // back; what the reader was reading stays where it was. The link
  // then pages further back, or goes when there is nothing earlier.
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a#earlier");
    if (!link || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) {
      return;
    }
    var list = document.querySelector("div#thread-list");
    if (!list) {
      return;
    }
    e.preventDefault();
    fetch(link.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var freshList = doc.querySelector("div#thread-list");
        var mark = list.querySelector("li.message");
        var before = mark ? mark.getBoundingClientRect().top : 0;
        var added = [];
        var days = freshList ? freshList.querySelectorAll(":scope > .day") : [];
        for (var i = days.length - 1; i >= 0; i--) {
          var first = list.querySelector(":scope > .day");
          if (first && first.getAttribute("data-day") === days[i].getAttribute("data-day")) {
            var ol = first.querySelector("ol.thread");
            var ms = days[i].querySelectorAll("li.message");
            for (var j = ms.length - 1; j >= 0; j--) {
              if (!document.getElementById(ms[j].id)) {
                var m = document.importNode(ms[j], true);
                ol.insertBefore(m, ol.firstChild);
                added.unshift(m);
              }
            }
          } else {
            var d = document.importNode(days[i], true);
            list.insertBefore(d, first);
            added = Array.prototype.slice.call(d.querySelectorAll("li.message")).concat(added);
          }
        }
        if (mark) {
          window.scrollBy(0, mark.getBoundingClientRect().top - before);
        }
        var more = doc.getElementById("earlier");
        var p = link.closest("p");
        if (more) {
          link.setAttribute("href", more.getAttribute("href"));
        } else if (p) {
          p.remove();
          if (added.length) {
            added[added.length - 1].setAttribute("tabindex", "-1");
            added[added.length - 1].focus({ preventScroll: true });
          }
        }
        say(added.length === 1 ? "1 earlier message added above." : added.length + " earlier messages added above.");
        markRead();
      })
      .catch(function () { window.location.assign(link.href); });
  });

  // freshToken gives the compose form the one-time token of its copy in
  // html, the page the server answered a send with: the token it had is
  // spent, and a second send with it would be taken for a reload.
  function freshToken(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector('form.compose-form input[name="form_token"]');
    var mine = compose && compose.querySelector('input[name="form_token"]');
    if (fresh && mine) {
      mine.value = fresh.value;
    }
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
          if (r.redirected && new URL(r.url).pathname === "/signin") {
            // The session had ended: the server keeps the message until
            // its writer signs in again (forms.go).
            window.location.assign(r.url);
            return;
          }
          return r.text().then(function (html) {
            compose.reset();
            freshToken(html);
            if (html.indexOf('class="crisis-now"') >= 0) {
              window.location.assign(r.url);
              return;
            }
            swapThread(html, true);
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
