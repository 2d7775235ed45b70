// Page-wide touches that need a script: a code block that scrolls sideways gets a tab
// stop, so a keyboard can scroll it too (and loses it again when it fits).
(function () {
  "use strict";

  function markScrollable() {
    document.querySelectorAll("main pre").forEach(function (pre) {
      if (pre.closest("[data-repl]")) { return; }
      var scrolls = pre.scrollWidth > pre.clientWidth + 1;
      if (scrolls && !pre.hasAttribute("tabindex")) {
        pre.setAttribute("tabindex", "0");
        pre.setAttribute("data-scroll-stop", "");
      } else if (!scrolls && pre.hasAttribute("data-scroll-stop")) {
        pre.removeAttribute("tabindex");
        pre.removeAttribute("data-scroll-stop");
      }
    });
  }

  var timer = null;
  document.addEventListener("DOMContentLoaded", markScrollable);
  window.addEventListener("resize", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(markScrollable, 150);
  });
  // Exercise panels and lab results arrive later; their code blocks count too.
  document.addEventListener("htmx:after:swap", markScrollable);
  document.addEventListener("tryredis:content", markScrollable);
})();
