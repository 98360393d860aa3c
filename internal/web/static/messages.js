// messages.js: keeps the thread page current. It listens to the signed-in
// user's event stream and, when a message, read receipt or edit arrives
// for this thread, fetches the page again and swaps in the list. It also
// says at once when a chosen file is too large to send. Without it the
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
  if (!thread || !window.EventSource) {
    return;
  }
  var client = thread.getAttribute("data-client");
  var pending = false;
  function refresh() {
    if (pending) {
      return;
    }
    pending = true;
    fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("thread");
        var current = document.getElementById("thread");
        if (fresh && current) {
          current.replaceWith(document.importNode(fresh, true));
        }
      })
      .catch(function () {})
      .finally(function () { pending = false; });
  }
  function onEvent(e) {
    try {
      var d = JSON.parse(e.data);
      if (d.client_id === client) {
        refresh();
      }
    } catch (err) {}
  }
  var es = new EventSource("/api/v1/events");
  es.addEventListener("message", onEvent);
  es.addEventListener("read", onEvent);
  es.addEventListener("edit", onEvent);
})();
