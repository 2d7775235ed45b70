// The REPL beside every lesson. Replies are appended as text (textContent), never
// as HTML: key names and values are whatever a learner typed.
(function () {
  "use strict";

  var HISTORY_LIMIT = 200;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function historyKey() {
    // The CSRF token is per learner, so history follows the learner, not the browser.
    return "tryredis:history:" + csrfToken().slice(0, 12);
  }

  function loadHistory() {
    try {
      var stored = JSON.parse(window.localStorage.getItem(historyKey()) || "[]");
      return Array.isArray(stored) ? stored.filter(function (x) { return typeof x === "string"; }) : [];
    } catch (e) {
      return [];
    }
  }

  function saveHistory(items) {
    try {
      window.localStorage.setItem(historyKey(), JSON.stringify(items.slice(-HISTORY_LIMIT)));
    } catch (e) { /* private mode: history lasts for this page only */ }
  }

  function Repl(root) {
    this.root = root;
    this.output = root.querySelector("[data-repl-output]");
    this.form = root.querySelector("[data-repl-form]");
    this.input = root.querySelector("#repl-input");
    this.notice = root.querySelector("[data-repl-notice]");
    this.runUrl = root.getAttribute("data-run-url");
    this.subscribeUrl = root.getAttribute("data-subscribe-url");
    this.subscription = null;
    this.resetUrl = root.getAttribute("data-reset-url");
    this.history = loadHistory();
    this.position = this.history.length;
    this.draft = "";
    this.queue = Promise.resolve();
    this.noticeTimer = null;
    this.bind();
  }

  Repl.prototype.bind = function () {
    var self = this;
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var line = self.input.value;
      self.input.value = "";
      self.submit([line], true);
    });
    this.input.addEventListener("keydown", function (event) { self.onKey(event); });
    var reset = this.root.querySelector("[data-repl-reset]");
    if (reset) {
      reset.addEventListener("click", function () { self.reset(); });
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
        self.submit(lines, false);
        self.input.focus({ preventScroll: true });
        // On narrow screens the REPL sits below the lesson: bring it into view.
        var box = self.root.getBoundingClientRect();
        if (box.top > window.innerHeight || box.bottom < 0) {
          self.root.scrollIntoView({ behavior: "smooth", block: "end" });
        }
      });
    });
  };

  Repl.prototype.onKey = function (event) {
    if (event.key === "ArrowUp") {
      if (this.position > 0) {
        if (this.position === this.history.length) { this.draft = this.input.value; }
        this.position -= 1;
        this.input.value = this.history[this.position];
      }
      event.preventDefault();
    } else if (event.key === "ArrowDown") {
      if (this.position < this.history.length) {
        this.position += 1;
        this.input.value = this.position === this.history.length ? this.draft : this.history[this.position];
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

  Repl.prototype.remember = function (line) {
    if (line.trim() && this.history[this.history.length - 1] !== line) {
      this.history.push(line);
      this.history = this.history.slice(-HISTORY_LIMIT);
      saveHistory(this.history);
    }
    this.position = this.history.length;
    this.draft = "";
  };

  Repl.prototype.clear = function () {
    this.output.textContent = "";
  };

  Repl.prototype.append = function (line, output, kind) {
    var entry = document.createElement("div");
    entry.className = "repl-entry";
    var command = document.createElement("div");
    command.className = "repl-command";
    command.textContent = "redis> " + line;
    entry.appendChild(command);
    if (output !== null) {
      var reply = document.createElement("pre");
      reply.className = "repl-reply kind-" + kind;
      reply.textContent = output;
      entry.appendChild(reply);
    }
    this.output.appendChild(entry);
    this.output.scrollTop = this.output.scrollHeight;
    return entry;
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
    return fetch(this.runUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ lines: toSend.slice(0, 20) })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return self.receive(response, body, toSend);
      });
    }).catch(function () {
      self.showNotice("The site cannot be reached. Check your connection and try again.", 0);
      toSend.forEach(function (line) { self.append(line, null, "reply"); });
    });
  };

  Repl.prototype.receive = function (response, body, lines) {
    var self = this;
    if (response.ok && body && Array.isArray(body.results)) {
      this.notice.hidden = true;
      body.results.forEach(function (result) {
        self.append(result.line, result.output, result.kind);
      });
      document.body.dispatchEvent(new CustomEvent("repl-ran", { bubbles: true }));
      if (lines.length > 20) { self.submit(lines.slice(20), false); }
      return;
    }
    lines.forEach(function (line) { self.append(line, null, "reply"); });
    var message = (body && body.error) || ("HTTP " + response.status);
    if (response.status === 429) {
      var wait = response.headers.get("Retry-After") || "1";
      this.showNotice("Slow down: " + message + ". Try again in " + wait + " s.", Number(wait) + 1);
    } else if (response.status === 503) {
      this.showNotice("Redis is unreachable right now; your command did not run. Try again in a moment.", 0);
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
      } else {
        self.showNotice("The sandbox could not be reset (HTTP " + response.status + ").", 10);
      }
      self.input.focus();
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-repl]");
    if (root) { window.tryredisRepl = new Repl(root); }
  });
})();
