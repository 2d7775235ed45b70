// tryredis.Completer: Tab completion at the prompt, as redis-cli's linenoise does it.
// Tab completes a command or subcommand name, an option token, or one of the learner's
// own keys (asked from the server, which pays one command of their rate limit). Repeated
// Tab cycles the matches and then the original word; Shift-Tab cycles back; Escape puts
// the original back. With nothing to complete on a non-empty line Tab stays in the
// prompt; Escape, then Tab, leaves it (so the prompt is never a keyboard trap).
(function () {
  "use strict";

  var tryredis = window.tryredis = window.tryredis || {};
  var REPL_WORDS = ["clear", "help"];

  function Completer(input, options) {
    this.input = input;
    this.url = options.url;
    this.csrf = options.csrf;
    this.show = options.show;
    this.cycle = null;
    this.leave = false;
    this.keyCache = null;
    this.replacing = false;
    var self = this;
    document.addEventListener("tryredis:wrote", function () { self.keyCache = null; });
    input.addEventListener("input", function () {
      self.leave = false;
      // Typing (or anything but our own replacing) accepts the word shown and ends the cycle.
      if (self.cycle && !self.replacing) { self.cycle = null; }
    });
  }

  function cased(candidate, prefix) {
    var first = prefix.charAt(0);
    return first && first !== first.toUpperCase() ? candidate.toLowerCase() : candidate.toUpperCase();
  }

  function startsWith(candidate, prefix) {
    return candidate.toLowerCase().indexOf(prefix.toLowerCase()) === 0;
  }

  // What the word at the end of the line could become: {start, prefix, sync: [...], keys}.
  Completer.prototype.context = function () {
    var hints = tryredis.hints;
    var value = this.input.value;
    if (this.input.selectionStart !== value.length || !hints.catalogue()) { return null; }
    var parsed = hints.split(value);
    if (!parsed) { return null; }
    var words = parsed.words;
    var current = parsed.spaceAfter || !words.length ? null : words[words.length - 1];
    var before = current ? words.slice(0, -1) : words;
    var prefix = current ? current.text : "";
    var context = { start: current ? current.start : value.length, prefix: prefix, sync: [], keys: false };
    if (!before.length) {
      context.sync = hints.commandNames().concat(REPL_WORDS).sort()
        .filter(function (name) { return startsWith(name, prefix); })
        .map(function (name) { return cased(name, prefix); });
      return context;
    }
    var found = hints.lookup(before);
    if (!found || found.unknown || found.unknownSub || found.entry.why) { return context; }
    var entry = found.entry;
    if (entry.subs && found.words === 1 && before.length === 1) {
      context.sync = hints.availableSubs(found.name, entry)
        .filter(function (sub) { return startsWith(sub, prefix); })
        .map(function (sub) { return cased(sub, prefix || before[0].text); });
      return context;
    }
    if (!entry.a) { return context; }
    var args = before.slice(found.words).map(function (word) { return word.text; });
    var next = hints.expected(entry.a, args);
    context.sync = next.tokens.filter(function (token) { return startsWith(token, prefix); })
      .map(function (token) { return cased(token, prefix || before[0].text); });
    context.keys = next.key;
    return context;
  };

  // Handle a key press in the prompt; true when it was ours (default prevented).
  Completer.prototype.onKeyDown = function (event) {
    if (event.key === "Tab" && !event.altKey && !event.ctrlKey && !event.metaKey) {
      if (this.cycle) {
        event.preventDefault();
        this.step(event.shiftKey ? -1 : 1);
        return true;
      }
      if (event.shiftKey || this.leave || !this.input.value) { return false; }
      event.preventDefault();
      this.start();
      return true;
    }
    if (event.key === "Escape") {
      if (this.cycle) {
        this.replace(this.cycle.original);
        this.end();
      } else {
        this.leave = true;
        this.show({ message: "Tab now leaves the prompt." });
      }
      event.preventDefault();
      return true;
    }
    if (this.cycle && event.key !== "Shift") { this.end(); }
    return false;
  };

  Completer.prototype.start = function () {
    var self = this;
    var context = this.context();
    if (!context) {
      this.show({ message: "Nothing to complete here. Escape, then Tab, leaves the prompt." });
      return;
    }
    if (!context.keys) {
      this.offer(context, context.sync);
      return;
    }
    var line = this.input.value;
    this.keysFor(context.prefix).then(function (keys) {
      if (self.input.value !== line) { return; } // typed on meanwhile
      self.offer(context, keys.concat(context.sync));
    });
  };

  // The learner's keys starting with prefix, as typed at the prompt (quoted if needed).
  Completer.prototype.keysFor = function (prefix) {
    var cache = this.keyCache;
    if (cache && prefix.indexOf(cache.prefix) === 0 && !cache.more) {
      return Promise.resolve(cache.keys.filter(function (key) { return key.name.indexOf(prefix) === 0; })
        .map(function (key) { return key.arg; }));
    }
    var self = this;
    return fetch(this.url + "?prefix=" + encodeURIComponent(prefix), {
      credentials: "same-origin",
      headers: { "X-CSRF-Token": this.csrf() }
    }).then(function (response) {
      if (response.status === 429) {
        self.show({ message: "Too many commands: key names could not be fetched; try again in a moment." });
        return { keys: [] };
      }
      return response.ok ? response.json() : { keys: [] };
    }).then(function (body) {
      var keys = Array.isArray(body.keys) ? body.keys : [];
      self.keyCache = { prefix: prefix, keys: keys, more: Boolean(body.more) };
      return keys.map(function (key) { return key.arg; });
    }).catch(function () { return []; });
  };

  Completer.prototype.offer = function (context, candidates) {
    var original = this.input.value.slice(context.start);
    if (!candidates.length) {
      this.show({ message: "No completions for \u201c" + (context.prefix || original) + "\u201d." });
      return;
    }
    if (candidates.length === 1) {
      this.replaceFrom(context.start, candidates[0] + " ");
      this.show({ message: "" });
      return;
    }
    this.cycle = { start: context.start, original: original, items: candidates, index: 0 };
    this.replace(candidates[0]);
    this.show({ items: candidates, index: 0 });
  };

  // Cycling visits each match, then the original word, then starts again.
  Completer.prototype.step = function (direction) {
    var cycle = this.cycle;
    var size = cycle.items.length + 1;
    cycle.index = (cycle.index + direction + size) % size;
    var atOriginal = cycle.index === cycle.items.length;
    this.replace(atOriginal ? cycle.original : cycle.items[cycle.index]);
    this.show({ items: cycle.items, index: atOriginal ? -1 : cycle.index });
  };

  Completer.prototype.replace = function (word) {
    this.replaceFrom(this.cycle.start, word);
  };

  Completer.prototype.replaceFrom = function (start, word) {
    var value = this.input.value.slice(0, start) + word;
    this.input.value = value;
    this.input.setSelectionRange(value.length, value.length);
    this.replacing = true;
    this.input.dispatchEvent(new Event("input", { bubbles: true }));
    this.replacing = false;
    this.leave = false;
  };

  Completer.prototype.end = function () {
    this.cycle = null;
    this.show({ message: "" });
  };

  tryredis.Completer = Completer;
})();
