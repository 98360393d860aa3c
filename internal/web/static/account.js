// The account page's time zone field (issue #17): offer the time zone the
// device reports when it differs from the saved one. Without script the
// field works as a searchable list.
(function () {
  "use strict";
  function start() {
    var input = document.getElementById("time_zone");
    var hint = document.getElementById("tz-browser");
    var use = document.getElementById("tz-use");
    if (!input || !hint || !use || typeof Intl === "undefined") {
      return;
    }
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return;
    }
    if (!zone) {
      return;
    }
    if (input.value === "") {
      input.value = zone;
    }
    if (input.value === zone) {
      return;
    }
    use.textContent = zone;
    use.setAttribute("aria-label", "Use " + zone);
    hint.hidden = false;
    use.addEventListener("click", function () {
      input.value = zone;
      hint.hidden = true;
      input.focus();
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
