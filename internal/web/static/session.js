// The idle sign-out, told before it happens (issue #18). The server ends a
// session after a time without requests (15 minutes for staff, 30 for
// clients) and renders how long this one has left on <body>. Two minutes
// before the end (half way through a shorter limit) this shows a dialog whose "Stay signed in" asks the
// server to start the idle time again; typing in a form asks it too, at
// most once a minute. Nothing here extends a session by itself: only the
// server's answer moves the deadline.
//
// When the session has ended while a form holds unsent text, the text
// stays on the page: the person is told so, a submit is held back until
// the server says they are signed in again (in another tab), and leaving
// the page asks first. The text is never written anywhere (no storage, no
// URL): it is health data.
document.addEventListener("DOMContentLoaded", () => {
  const body = document.body;
  const idle = Number(body.dataset.sessionIdle);
  const left = Number(body.dataset.sessionLeft);
  const warning = document.getElementById("session-warning");
  const ended = document.getElementById("session-ended");
  if (!idle || !warning || !ended || typeof warning.showModal !== "function") {
    return;
  }
  // The warning shows two minutes before the end, or half way through a
  // shorter idle limit.
  const warnBefore = Math.min(120, idle / 2) * 1000;
  const typingEvery = 60 * 1000; // typing tells the server at most this often

  // Times are from performance.now(), which the computer's clock does not move.
  let deadline = performance.now() + left * 1000;
  let lastCall = performance.now(); // this page's own request moved last_seen
  let over = false;
  let warnedFor = null; // the deadline the warning was shown for: Escape closes it until the deadline moves
  let returnFocus = null;

  // The fields of forms that hold text the person typed and has not sent.
  const unsent = () => [...document.querySelectorAll("form textarea, form input")].filter((f) =>
    (f.tagName === "TEXTAREA" || ["text", "search", "email", "url", "tel", ""].includes(f.getAttribute("type") || "")) &&
    f.value.trim() !== "" && f.value !== f.defaultValue);

  const show = (dialog) => {
    if (dialog.open) {
      return;
    }
    if (!warning.open && !ended.open) {
      returnFocus = document.activeElement;
    }
    for (const p of dialog.querySelectorAll("[data-session-unsaved]")) {
      p.hidden = unsent().length === 0;
    }
    dialog.showModal();
  };
  const close = (dialog, focus) => {
    if (dialog.open) {
      dialog.close();
    }
    const to = focus || returnFocus;
    if (to && document.contains(to)) {
      to.focus();
    }
  };

  // touch asks the server to start the idle time again; it resolves to
  // true when the session is alive, false when it has ended.
  let inFlight = null;
  const touch = () => {
    if (inFlight) {
      return inFlight;
    }
    lastCall = performance.now();
    inFlight = fetch("/api/v1/sessions/current/touch", {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then((res) => {
      if (res.status === 401) {
        return false;
      }
      if (!res.ok) {
        throw new Error("status " + res.status);
      }
      return res.json().then((data) => {
        deadline = performance.now() + data.expires_in_seconds * 1000;
        return true;
      });
    }).finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  const end = () => {
    over = true;
    close(warning);
    show(ended);
  };
  const alive = () => {
    over = false;
    close(ended);
    if (deadline - performance.now() > warnBefore) {
      close(warning);
    }
  };

  const minutesText = (ms) => {
    const m = Math.round(ms / 60000);
    if (m < 1) {
      return "less than a minute";
    }
    return m === 1 ? "1 minute" : m + " minutes";
  };

  const tick = () => {
    if (over) {
      return;
    }
    const rest = deadline - performance.now();
    if (rest <= -1000) { // a second late, so that the server has surely ended it
      end();
    } else if (rest <= warnBefore && !warning.open && warnedFor !== deadline) {
      warnedFor = deadline;
      warning.querySelector("[data-session-minutes]").textContent = minutesText(rest);
      warning.querySelector("[data-session-failed]").hidden = true;
      show(warning);
    }
  };
  setInterval(tick, 1000);
  tick();

  warning.querySelector("[data-session-stay]").addEventListener("click", () => {
    const failed = warning.querySelector("[data-session-failed]");
    touch().then((ok) => {
      if (!ok) {
        end();
        return;
      }
      failed.hidden = true;
      if (deadline - performance.now() <= warnBefore) {
        // The session reaches its longest allowed time (12 hours): nothing
        // extends that, so the warning stays, with the time that is left.
        warning.querySelector("[data-session-minutes]").textContent = minutesText(deadline - performance.now());
        return;
      }
      alive();
    }).catch(() => {
      failed.hidden = false;
    });
  });
  // Escape closes the warning (the deadline does not move for it) and
  // gives the focus back.
  warning.addEventListener("close", () => {
    if (!ended.open && returnFocus && document.contains(returnFocus)) {
      returnFocus.focus();
    }
  });

  ended.querySelector("[data-session-close]").addEventListener("click", () => {
    close(ended, unsent()[0]);
  });

  // Typing is activity: the server hears of it at most once a minute.
  document.addEventListener("input", (e) => {
    if (over || !e.target.closest || !e.target.closest("form")) {
      return;
    }
    if (performance.now() - lastCall >= typingEvery) {
      touch().then((ok) => {
        if (!ok) {
          end();
        }
      }).catch(() => {});
    }
  });

  // After the end, a submit would answer "sign in first" and the text
  // would be gone: ask the server first, and send only once the person is
  // signed in again (in another tab).
  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (!over || form.getAttribute("action") === "/signout") {
      return;
    }
    e.preventDefault();
    const submitter = e.submitter;
    touch().then((ok) => {
      if (!ok) {
        show(ended);
        return;
      }
      alive();
      form.requestSubmit(submitter || undefined);
    }).catch(() => show(ended));
  }, true);

  // Leaving the page after the end would lose unsent text: ask first.
  window.addEventListener("beforeunload", (e) => {
    if (over && unsent().length > 0) {
      e.preventDefault();
      e.returnValue = "";
    }
  });
});
