// The REPL beside every lesson. Replies are appended as text (textContent), never as
// HTML: key names and values are whatever a learner typed.
//
// For other scripts (labs, code cells, classroom notices):
//   document.body.dispatchEvent(new CustomEvent("tryredis:wrote", { bubbles: true }))
//     something wrote to the learner's sandbox: the keys panel reads it again.
//   window.tryredis.repl.notice(text, { seconds: 5, transcript: false })
//     a message above the prompt (seconds: 0 keeps it; transcript: true also adds it
//     to the transcript, where it stays).
//   window.tryredis.repl.run(["SET a 1", "GET a"])   runs lines as a Run button does.
// The REPL fires "repl-ran" on document.body after every batch of replies.
(function () {
  "use strict";

  var tryredis = window.tryredis = window.tryredis || {};
  var HISTORY_LIMIT = 200;
  var TRANSCRIPT_LIMIT = 200;
  var STORED_OUTPUT_MAX = 4000;
  var BATCH = 20;
  var WIDE = "(min-width: 960px)";
  var PROMPT_LINE = /^\s*(?:redis|[\w.-]+:\d+)> ?/;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function storageKey(kind) {
    // The CSRF token is per learner, so what is kept follows the learner, not the browser.
    return "tryredis:" + kind + ":" + csrfToken().slice(0, 12);
  }

  function loadList(kind) {
    try {
      var stored = JSON.parse(window.localStorage.getItem(storageKey(kind)) || "[]");
      return Array.isArray(stored) ? stored : [];
    } catch (e) {
      return [];
    }
  }

  function saveList(kind, items) {
    try {
      window.localStorage.setItem(storageKey(kind), JSON.stringify(items));
    } catch (e) { /* private mode or full: kept for this page only */ }
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function Repl(root) {
    this.root = root;
    this.output = root.querySelector("[data-repl-output]");
    this.form = root.querySelector("[data-repl-form]");
    this.input = root.querySelector("#repl-input");
    this.notice = root.querySelector("[data-repl-notice]");
    this.assist = root.querySelector("[data-repl-assist]");
    this.announcer = root.querySelector("[data-repl-announce]");
    this.ghostTyped = root.querySelector("[data-ghost-typed]");
    this.ghostHint = root.querySelector("[data-ghost-hint]");
    this.ghost = root.querySelector(".repl-ghost");
    this.toggle = root.querySelector("[data-repl-toggle]");
    this.runUrl = root.getAttribute("data-run-url");
    this.subscribeUrl = root.getAttribute("data-subscribe-url");
    this.resetUrl = root.getAttribute("data-reset-url");
    this.sheet = document.body.classList.contains("with-repl");
    this.wide = window.matchMedia(WIDE);
    this.subscription = null;
    this.history = loadList("history").filter(function (x) { return typeof x === "string"; });
    this.position = this.history.length;
    this.draft = "";
    this.queue = Promise.resolve();
    this.noticeTimer = null;
    this.saveTimer = null;
    this.transcript = [];
    this.view = "console";
    var keysRoot = root.querySelector("[data-keys]");
    var self = this;
    this.keys = keysRoot && tryredis.KeysPanel ? new tryredis.KeysPanel(keysRoot, {
      url: root.getAttribute("data-keys-url"),
      keyUrl: root.getAttribute("data-key-url"),
      csrf: csrfToken,
      isVisible: function () { return self.keysVisible(); }
    }) : null;
    this.completer = tryredis.Completer ? new tryredis.Completer(this.input, {
      url: root.getAttribute("data-complete-url"),
      csrf: csrfToken,
      show: function (state) { self.showCompletions(state); }
    }) : null;
    if (tryredis.hints) { tryredis.hints.load(root.getAttribute("data-commands-url")); }
    this.restore();
    this.bind();
    this.layout();
  }

  Repl.prototype.bind = function () {
    var self = this;
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var line = self.input.value;
      self.input.value = "";
      self.updateHint();
      self.open();
      self.submit([line], true);
    });
    this.input.addEventListener("keydown", function (event) { self.onKey(event); });
    this.input.addEventListener("input", function () { self.updateHint(); });
    this.input.addEventListener("scroll", function () { self.ghost.scrollLeft = self.input.scrollLeft; });
    this.input.addEventListener("paste", function (event) { self.onPaste(event); });
    if (tryredis.hints) { tryredis.hints.whenLoaded(function () { self.updateHint(); }); }
    var reset = this.root.querySelector("[data-repl-reset]");
    if (reset) { reset.addEventListener("click", function () { self.reset(); }); }
    if (this.toggle) {
      this.toggle.addEventListener("click", function () {
        if (self.root.classList.contains("is-open")) { self.close(); } else { self.open(); }
        self.input.focus({ preventScroll: true });
      });
    }
    this.root.querySelectorAll("[data-repl-tab]").forEach(function (tab) {
      tab.addEventListener("click", function () { self.show(tab.getAttribute("data-repl-tab"), true); });
      tab.addEventListener("keydown", function (event) {
        if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
          self.show(self.view === "console" ? "keys" : "console", true);
          event.preventDefault();
        }
      });
    });
    var collapse = this.root.querySelector("[data-keys-collapse]");
    if (collapse) {
      collapse.addEventListener("click", function () { self.collapseKeys(); });
      var collapsed = false;
      try { collapsed = window.localStorage.getItem("tryredis:keys-collapsed") === "1"; } catch (e) { /* ignore */ }
      if (collapsed) { this.collapseKeys(); }
    }
    document.querySelectorAll(".run-button").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var lines;
        try {
          lines = JSON.parse(button.getAttribute("data-commands") || "[]");
        } catch (e) {
          lines = [];
        }
        self.runFrom(button, lines);
      });
    });
    document.querySelectorAll("[data-skip-repl]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        self.open();
        self.input.focus();
      });
    });
    this.wide.addEventListener("change", function () { self.layout(); });
    // Leaving the page (a link, a reload) must not lose the last lines.
    window.addEventListener("pagehide", function () { if (self.saveTimer) { self.save(); } });
  };

  // --- layout: a sticky column on wide screens, a bottom sheet on narrow ones ---

  Repl.prototype.layout = function () {
    var tabs = !this.wide.matches;
    var tablist = this.root.querySelector("[data-repl-tabs]");
    var panels = { console: this.root.querySelector("#repl-console"), keys: this.root.querySelector("#repl-keys") };
    if (tablist) {
      // Tabs only where the panels take turns; on wide screens both are on screen.
      tablist.setAttribute("role", tabs ? "tablist" : "presentation");
      this.root.querySelectorAll("[data-repl-tab]").forEach(function (tab) {
        var name = tab.getAttribute("data-repl-tab");
        if (tabs) {
          tab.setAttribute("role", "tab");
          panels[name].setAttribute("role", "tabpanel");
          panels[name].setAttribute("aria-labelledby", tab.id);
        } else {
          tab.removeAttribute("role");
          tab.removeAttribute("aria-selected");
          panels[name].removeAttribute("role");
          panels[name].removeAttribute("aria-labelledby");
        }
      });
    }
    this.show(this.view, false);
    if (this.wide.matches) {
      this.root.classList.remove("is-open");
      // On wide screens the prompt is on screen at load: put the cursor in it.
      if (!this.focusedOnce) { this.input.focus({ preventScroll: true }); }
    }
    this.focusedOnce = true;
    this.syncToggle();
  };

  Repl.prototype.show = function (view, focus) {
    this.view = view;
    this.root.setAttribute("data-view", view);
    var tabs = !this.wide.matches;
    this.root.querySelectorAll("[data-repl-tab]").forEach(function (tab) {
      var selected = tab.getAttribute("data-repl-tab") === view;
      if (tabs) {
        tab.setAttribute("aria-selected", String(selected));
        tab.tabIndex = selected ? 0 : -1;
        if (selected && focus) { tab.focus(); }
      } else {
        tab.tabIndex = 0;
      }
    });
    if (this.keys) { this.keys.refreshIfShown(); }
  };

  Repl.prototype.keysVisible = function () {
    var panel = this.root.querySelector("#repl-keys");
    if (!panel || panel.classList.contains("is-collapsed")) { return false; }
    if (this.wide.matches) { return true; }
    return this.view === "keys" && (!this.sheet || this.root.classList.contains("is-open"));
  };

  Repl.prototype.collapseKeys = function () {
    var panel = this.root.querySelector("#repl-keys");
    var button = this.root.querySelector("[data-keys-collapse]");
    var collapsed = panel.classList.toggle("is-collapsed");
    button.setAttribute("aria-expanded", String(!collapsed));
    button.textContent = collapsed ? "Show" : "Hide";
    try { window.localStorage.setItem("tryredis:keys-collapsed", collapsed ? "1" : ""); } catch (e) { /* ignore */ }
    if (!collapsed && this.keys) { this.keys.refreshIfShown(); }
  };

  Repl.prototype.open = function () {
    if (!this.sheet || this.wide.matches) { return; }
    this.root.classList.add("is-open");
    this.syncToggle();
    if (this.keys) { this.keys.refreshIfShown(); }
  };

  Repl.prototype.close = function () {
    this.root.classList.remove("is-open");
    this.syncToggle();
  };

  Repl.prototype.syncToggle = function () {
    if (!this.toggle) { return; }
    var open = this.root.classList.contains("is-open");
    this.toggle.setAttribute("aria-expanded", String(open));
    this.toggle.textContent = open ? "Hide" : "Show";
    this.toggle.setAttribute("aria-label", open ? "Hide the REPL's output" : "Show the REPL's output");
  };

  // A Run button: open the REPL where it is, run, and keep the block in view.
  Repl.prototype.runFrom = function (button, lines) {
    this.open();
    this.show("console", false);
    this.submit(lines, false);
    this.input.focus({ preventScroll: true });
    if (this.sheet && !this.wide.matches) {
      var block = button.closest("figure") || button;
      var sheetTop = this.root.getBoundingClientRect().top;
      var box = block.getBoundingClientRect();
      if (box.bottom > sheetTop) { window.scrollBy(0, Math.min(box.bottom - sheetTop + 8, box.top - 8)); }
    }
  };

  // --- the prompt: hints, completion, history, paste ---

  Repl.prototype.onKey = function (event) {
    if (this.completer && this.completer.onKeyDown(event)) { return; }
    if (event.key === "ArrowUp") {
      if (this.position > 0) {
        if (this.position === this.history.length) { this.draft = this.input.value; }
        this.position -= 1;
        this.input.value = this.history[this.position];
        this.updateHint();
      }
      event.preventDefault();
    } else if (event.key === "ArrowDown") {
      if (this.position < this.history.length) {
        this.position += 1;
        this.input.value = this.position === this.history.length ? this.draft : this.history[this.position];
        this.updateHint();
      }
      event.preventDefault();
    } else if (event.key === "l" && event.ctrlKey) {
      this.clear();
      event.preventDefault();
    } else if (event.key === "c" && event.ctrlKey && this.subscription &&
               this.input.selectionStart === this.input.selectionEnd) {
      this.unsubscribe();
      event.preventDefault();
    }
  };

  Repl.prototype.updateHint = function () {
    var value = this.input.value;
    var hint = tryredis.hints ? tryredis.hints.hint(value) : { text: "", note: null };
    this.ghostTyped.textContent = value;
    this.ghostHint.textContent = hint.text;
    this.ghost.scrollLeft = this.input.scrollLeft;
    this.input.setAttribute("data-hint", hint.text.trim());
    if (!this.completer || !this.completer.cycle) {
      this.setAssist(hint.note ? hint.note.text : "", hint.note ? hint.note.kind : "");
    }
  };

  Repl.prototype.setAssist = function (text, kind) {
    this.assist.textContent = text;
    this.assist.className = "repl-assist" + (kind ? " is-" + kind : "");
  };

  Repl.prototype.showCompletions = function (state) {
    if (state.items) {
      this.assist.textContent = "";
      this.assist.className = "repl-assist is-completions";
      var self = this;
      state.items.forEach(function (item, index) {
        var chip = el("span", item, "repl-completion");
        if (index === state.index) { chip.setAttribute("aria-current", "true"); }
        self.assist.appendChild(chip);
        self.assist.appendChild(document.createTextNode(" "));
      });
    } else {
      this.setAssist(state.message || "", state.message ? "info" : "");
      if (!state.message) { this.updateHint(); }
    }
  };

  Repl.prototype.onPaste = function (event) {
    var text = event.clipboardData ? event.clipboardData.getData("text") : "";
    if (text.indexOf("\n") < 0 && text.indexOf("\r") < 0) { return; }
    event.preventDefault();
    var lines = text.split(/\r\n|\r|\n/);
    // A pasted transcript ("redis> GET a" then its reply): run only the commands.
    if (lines.some(function (line) { return PROMPT_LINE.test(line); })) {
      lines = lines.filter(function (line) { return PROMPT_LINE.test(line); })
        .map(function (line) { return line.replace(PROMPT_LINE, ""); });
    }
    var value = this.input.value;
    lines[0] = value.slice(0, this.input.selectionStart) + lines[0];
    lines[lines.length - 1] += value.slice(this.input.selectionEnd);
    lines = lines.filter(function (line) { return line.trim(); });
    this.input.value = "";
    this.updateHint();
    if (lines.length) {
      this.open();
      this.submit(lines, true);
    }
  };

  Repl.prototype.remember = function (line) {
    if (line.trim() && this.history[this.history.length - 1] !== line) {
      this.history.push(line);
      this.history = this.history.slice(-HISTORY_LIMIT);
      saveList("history", this.history);
    }
    this.position = this.history.length;
    this.draft = "";
  };

  // --- the transcript: kept per learner across pages, bounded ---

  Repl.prototype.restore = function () {
    var self = this;
    loadList("transcript").forEach(function (item) {
      if (item && typeof item.l === "string") { self.append(item.l, item.o, item.k || "reply", item.s, true); }
    });
  };

  Repl.prototype.persist = function () {
    var self = this;
    window.clearTimeout(this.saveTimer);
    this.saveTimer = window.setTimeout(function () { self.save(); }, 200);
  };

  Repl.prototype.save = function () {
    window.clearTimeout(this.saveTimer);
    this.saveTimer = null;
    saveList("transcript", this.transcript.slice(-TRANSCRIPT_LIMIT).map(function (entry) {
      var output = entry.reply ? entry.reply.textContent : null;
      if (output && output.length > STORED_OUTPUT_MAX) { output = output.slice(0, STORED_OUTPUT_MAX) + "\n\u2026 (shortened)"; }
      return { l: entry.line, o: output, k: entry.kind, s: entry.note || undefined };
    }));
  };

  Repl.prototype.clear = function () {
    this.output.textContent = "";
    this.transcript = [];
    this.persist();
  };

  Repl.prototype.append = function (line, output, kind, note, restoring) {
    var entry = el("div", null, "repl-entry");
    if (kind !== "notice") { entry.appendChild(el("div", "redis> " + line, "repl-command")); }
    var record = { line: line, kind: kind, reply: null, note: note || "" };
    if (output !== null && output !== undefined) {
      record.reply = el("pre", output, "repl-reply kind-" + kind);
      entry.appendChild(record.reply);
    }
    if (note) { entry.appendChild(el("p", note, "repl-suggest")); }
    var welcome = this.output.querySelector(".repl-welcome");
    if (welcome) { welcome.remove(); }
    this.output.appendChild(entry);
    this.output.scrollTop = this.output.scrollHeight;
    this.transcript.push(record);
    if (this.transcript.length > TRANSCRIPT_LIMIT) {
      this.transcript.shift();
      var first = this.output.querySelector(".repl-entry");
      if (first) { first.remove(); }
    }
    if (!restoring) { this.persist(); }
    return entry;
  };

  // Screen readers hear each reply once, not the whole transcript again.
  Repl.prototype.announce = function (results) {
    var text = results.map(function (r) {
      var out = r.output.length > 200 ? r.output.slice(0, 200) + "\u2026" : r.output;
      return out + (r.note ? ". " + r.note : "");
    }).join(". ");
    var announcer = this.announcer;
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  };

  Repl.prototype.showNotice = function (text, seconds) {
    var self = this;
    this.notice.textContent = text;
    this.notice.hidden = false;
    window.clearTimeout(this.noticeTimer);
    if (seconds) {
      this.noticeTimer = window.setTimeout(function () { self.notice.hidden = true; }, seconds * 1000);
    }
  };

  // --- running lines ---

  // Lines run one request at a time, in the order they were typed or clicked.
  Repl.prototype.submit = function (lines, typed) {
    var self = this;
    this.queue = this.queue.then(function () { return self.send(lines, typed); });
    return this.queue;
  };

  Repl.prototype.send = function (lines, typed) {
    var self = this;
    var toSend = [];
    lines.forEach(function (line) {
      if (typed) { self.remember(line); }
      var word = line.trim().split(/\s+/)[0].toLowerCase();
      if (word === "clear") {
        self.clear();
      } else if (word === "subscribe" || word === "psubscribe") {
        self.subscribe(line);
      } else if ((word === "unsubscribe" || word === "punsubscribe") && self.subscription) {
        self.append(line, null, "reply");
        self.unsubscribe();
      } else {
        toSend.push(line);
      }
    });
    if (!toSend.length) { return Promise.resolve(); }
    var batch = toSend.slice(0, BATCH);
    return fetch(this.runUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ lines: batch })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return self.receive(response, body, batch, toSend.slice(BATCH));
      });
    }).catch(function () {
      self.showNotice("The site cannot be reached. Check your connection and try again.", 0);
      toSend.forEach(function (line) { self.append(line, "(not sent) the site cannot be reached", "refused"); });
    });
  };

  function noteFor(result) {
    var hints = tryredis.hints;
    if (!hints || result.kind !== "error") { return ""; }
    var unknown = /^\(error\) ERR unknown command '([^']*)'/.exec(result.output);
    if (unknown) { return hints.didYouMean(hints.suggest(unknown[1])); }
    var sub = /^\(error\) ERR unknown subcommand '([^']*)'\. Try (\S+) HELP\./.exec(result.output);
    return sub ? hints.didYouMean(hints.suggest(sub[1], sub[2])) : "";
  }

  // Whether any line may have written (then the keys panel reads again).
  function writes(lines) {
    var hints = tryredis.hints;
    if (!hints || !hints.catalogue()) { return true; }
    return lines.some(function (line) {
      var parsed = hints.split(line);
      var found = parsed && parsed.words.length ? hints.lookup(parsed.words) : null;
      return Boolean(found && found.entry && found.entry.w);
    });
  }

  Repl.prototype.receive = function (response, body, lines, rest) {
    var self = this;
    if (response.ok && body && Array.isArray(body.results)) {
      this.notice.hidden = true;
      var shown = body.results.map(function (result) {
        var note = noteFor(result);
        self.append(result.line, result.output, result.kind, note);
        return { output: result.output, note: note };
      });
      this.announce(shown);
      document.body.dispatchEvent(new CustomEvent("repl-ran", { bubbles: true }));
      if (writes(lines)) { document.body.dispatchEvent(new CustomEvent("tryredis:wrote", { bubbles: true })); }
      if (rest.length) { self.submit(rest, false); }
      return;
    }
    var message = (body && body.error) || ("HTTP " + response.status);
    var all = lines.concat(rest);
    if (response.status === 429) {
      var wait = response.headers.get("Retry-After") || "1";
      var text = "(rate limited) not run: " + message + ". Try again in " + wait + " s.";
      all.forEach(function (line) { self.append(line, text, "ratelimited"); });
      this.announce([{ output: text }]);
      var who = /client address/.test(message) ?
        "Slow down: your network address (your whole classroom, behind one router) has sent too many commands." :
        "Slow down: your sandbox runs at most a few commands a second.";
      this.showNotice(who + " Try again in " + wait + " s.", Number(wait) + 1);
      return;
    }
    all.forEach(function (line) { self.append(line, "(not run) " + message, "refused"); });
    if (response.status === 503) {
      // The server says which: busy (pools full), full (no new sandboxes), or unreachable.
      this.showNotice(message + " Your command did not run.", 0);
    } else if (response.status === 403 || response.status === 401) {
      this.showNotice("Your session expired or this page is stale: reload the page.", 0);
    } else {
      this.showNotice("The command could not be sent: " + message, 10);
    }
  };

  // SUBSCRIBE streams: the server sends server-sent events over a fetch we can
  // abort (Ctrl-C or UNSUBSCRIBE), while the prompt stays free for PUBLISH.
  Repl.prototype.subscribe = function (line) {
    var self = this;
    if (this.subscription) {
      this.append(line, null, "reply");
      this.showNotice("Already subscribed: press Ctrl-C in the prompt or type UNSUBSCRIBE first.", 8);
      return;
    }
    var controller = new AbortController();
    this.subscription = controller;
    var entry = this.append(line, "", "reply");
    var reply = entry.querySelector(".repl-reply");
    fetch(this.subscribeUrl + "?line=" + encodeURIComponent(line), {
      credentials: "same-origin",
      signal: controller.signal,
      headers: { "Accept": "text/event-stream" }
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          reply.className = "repl-reply kind-refused";
          reply.textContent = "(refused) " + ((body && body.error) || ("HTTP " + response.status));
          self.subscription = null;
          self.persist();
        });
      }
      return self.readEvents(response.body.getReader(), reply);
    }).catch(function () { /* aborted by the learner, or the network went away */ })
      .then(function () {
        if (self.subscription === controller) { self.subscription = null; }
      });
  };

  Repl.prototype.readEvents = function (reader, reply) {
    var self = this;
    var decoder = new TextDecoder();
    var pending = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) { return; }
        pending += decoder.decode(chunk.value, { stream: true });
        var events = pending.split("\n\n");
        pending = events.pop();
        events.forEach(function (event) {
          var data = event.split("\n").filter(function (l) { return l.indexOf("data: ") === 0; })
            .map(function (l) { return l.slice(6); }).join("\n");
          if (data) {
            reply.textContent += (reply.textContent ? "\n" : "") + data;
            self.output.scrollTop = self.output.scrollHeight;
            self.announce([{ output: data }]);
            self.persist();
          }
        });
        return pump();
      });
    }
    return pump();
  };

  Repl.prototype.unsubscribe = function () {
    if (this.subscription) {
      this.subscription.abort();
      this.subscription = null;
      this.showNotice("Subscription closed.", 4);
    }
  };

  Repl.prototype.reset = function () {
    var self = this;
    if (!window.confirm("Delete every key in your sandbox? Your lesson progress is kept.")) { return; }
    fetch(this.resetUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: "{}"
    }).then(function (response) {
      if (response.ok) {
        self.clear();
        self.showNotice("Your sandbox is empty again.", 5);
        document.body.dispatchEvent(new CustomEvent("tryredis:wrote", { bubbles: true }));
      } else {
        self.showNotice("The sandbox could not be reset (HTTP " + response.status + ").", 10);
      }
      self.input.focus();
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-repl]");
    if (!root) { return; }
    var repl = new Repl(root);
    window.tryredisRepl = repl; // kept for labs.js
    tryredis.repl = {
      run: function (lines) { repl.open(); return repl.submit(lines, false); },
      notice: function (text, options) {
        options = options || {};
        repl.showNotice(text, options.seconds === undefined ? 8 : options.seconds);
        if (options.transcript) { repl.append("", text, "notice"); }
      },
      focus: function () { repl.open(); repl.input.focus(); }
    };
  });
})();
