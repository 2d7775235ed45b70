// For class members only: the teacher's notices, reveals and resets, shown in the REPL
// (or above the page where there is none). One EventSource per page; the last event id
// is kept for the tab, so a notice sent while changing pages is shown on the next one.
(function () {
  "use strict";

  var KEY = "tryredis:class-last-event";

  function show(text, kind) {
    var output = document.querySelector("[data-repl-output]");
    var entry = document.createElement("div");
    entry.className = "repl-entry class-notice is-" + kind;
    entry.setAttribute("data-testid", "class-notice");
    var label = document.createElement("strong");
    label.textContent = kind === "notice" ? "Teacher: " : "Class: ";
    entry.appendChild(label);
    entry.appendChild(document.createTextNode(text));
    if (output) {
      output.appendChild(entry);
      output.scrollTop = output.scrollHeight;
    } else {
      var banner = document.querySelector("[data-class-events]");
      if (banner) { banner.appendChild(entry); }
    }
  }

  function describe(data) {
    if (data.kind === "notice") { return data.text; }
    if (data.kind === "reveal") {
      return "the " + data.what + " of exercise " + data.x + ": " + data.text;
    }
    if (data.kind === "reset") { return "your teacher emptied your sandbox; your progress is kept."; }
    if (data.kind === "ended") { return "this class has ended."; }
    return "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var banner = document.querySelector("[data-class-events]");
    if (!banner || !window.EventSource) { return; }
    var url = banner.getAttribute("data-class-events");
    var last = "";
    try { last = window.sessionStorage.getItem(KEY) || ""; } catch (e) { last = ""; }
    var source = new EventSource(url + (last ? "?since=" + encodeURIComponent(last) : ""));
    source.addEventListener("message", function (event) {
      try { window.sessionStorage.setItem(KEY, event.lastEventId); } catch (e) { /* private mode */ }
      var data = JSON.parse(event.data);
      var text = describe(data);
      if (text) { show(text, data.kind); }
      if (data.kind === "ended") { source.close(); }
    });
    // Sent once the server listens: from then on no notice is missed.
    source.addEventListener("ready", function () {
      document.documentElement.setAttribute("data-class-live", "1");
    });
  });
})();
