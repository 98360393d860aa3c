// The Print button of the pre-session brief and of the safety plan prints
// the page (the page reads and prints without it; the browser's own Print
// works as well).
document.addEventListener("DOMContentLoaded", () => {
  for (const b of document.querySelectorAll("[data-print]")) {
    b.hidden = false;
    b.addEventListener("click", () => window.print());
  }
});
