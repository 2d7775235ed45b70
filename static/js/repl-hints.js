// tryredis.hints: redis-cli's line splitting, the command catalogue, argument hints as
// you type, and "did you mean". The catalogue (/repl/commands.<hash>.json) is built on
// the server from the sandbox's command table; see tryredis/ui/syntax.py for its nodes:
// {t: literal}, {a: placeholder, k: 1 if a key}, {o: optional sequence},
// {c: [alternatives]} required choice, {oc: [...], tc: token} optional choice,
// {r: sequence} one or more, {bare: true} a repeated choice written without <>.
(function () {
  "use strict";

  var tryredis = window.tryredis = window.tryredis || {};
  var SPACE = /[ \t\n\r]/;
  var HEX = /^[0-9a-fA-F]{2}$/;
  var ESCAPES = { n: "\n", r: "\r", t: "\t", b: "\b", a: "\x07" };

  // Split like redis-cli's sdssplitargs, tolerating an unfinished last word (it is still
  // being typed). Each word: {text, start, end, open}; null when the line cannot be split.
  function split(line) {
    var words = [];
    var i = 0;
    var n = line.length;
    for (;;) {
      while (i < n && /\s/.test(line[i])) { i += 1; }
      if (i >= n) { break; }
      var start = i;
      var text = "";
      var quote = "";
      for (;;) {
        if (i >= n) { break; }
        var ch = line[i];
        if (quote === '"') {
          if (ch === "\\" && line[i + 1] === "x" && HEX.test(line.substr(i + 2, 2))) {
            text += String.fromCharCode(parseInt(line.substr(i + 2, 2), 16));
            i += 4;
          } else if (ch === "\\" && i + 1 < n) {
            text += ESCAPES[line[i + 1]] || line[i + 1];
            i += 2;
          } else if (ch === '"') {
            quote = "";
            i += 1;
            if (i < n && !/\s/.test(line[i])) { return null; }
            break;
          } else {
            text += ch;
            i += 1;
          }
        } else if (quote === "'") {
          if (ch === "\\" && line[i + 1] === "'") {
            text += "'";
            i += 2;
          } else if (ch === "'") {
            quote = "";
            i += 1;
            if (i < n && !/\s/.test(line[i])) { return null; }
            break;
          } else {
            text += ch;
            i += 1;
          }
        } else if (SPACE.test(ch)) {
          break;
        } else if (ch === '"' || ch === "'") {
          quote = ch;
          i += 1;
        } else {
          text += ch;
          i += 1;
        }
      }
      words.push({ text: text, start: start, end: i, open: quote !== "" });
    }
    var last = words[words.length - 1];
    return { words: words, spaceAfter: n > 0 && (!last || (last.end < n && !last.open)) };
  }

  // The catalogue, once loaded: commands by lowercase name ("object|encoding").
  var catalogue = null;
  var waiting = [];

  function load(url) {
    if (!url || catalogue) { return; }
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (body) {
      if (!body || !body.commands) { return; }
      catalogue = body.commands;
      waiting.splice(0).forEach(function (callback) { callback(); });
    }).catch(function () { /* no hints offline; the REPL still works */ });
  }

  function whenLoaded(callback) {
    if (catalogue) { callback(); } else { waiting.push(callback); }
  }

  // --- rendering nodes back to syntax text (exactly as tryredis/ui/syntax.py) ---

  function render(items) {
    return items.map(renderNode).join(" ");
  }

  function choiceText(alts) {
    return alts.map(render).join(" | ");
  }

  function renderNode(node) {
    if (node.t !== undefined) { return node.t; }
    if (node.a !== undefined) { return node.a; }
    if (node.o) { return "[" + render(node.o) + "]"; }
    if (node.oc) { return "[" + (node.tc ? node.tc + " " : "") + choiceText(node.oc) + "]"; }
    if (node.c) { return "<" + choiceText(node.c) + ">"; }
    var body = node.r;
    if (body.length === 1 && body[0].c) {
      var choice = choiceText(body[0].c);
      return (node.bare ? choice : "<" + choice + ">") + " [" + choice + " ...]";
    }
    return render(body) + " [" + render(body) + " ...]";
  }

  function repeatHint(node) {
    var body = node.r;
    var text = body.length === 1 && body[0].c ? choiceText(body[0].c) : render(body);
    return "[" + text + " ...]";
  }

  // --- matching typed words against the tree ---

  function isOptional(node) { return Boolean(node.o || node.oc); }

  function inner(node) {
    if (node.o) { return [node.o]; }
    if (node.oc) { return node.tc ? [[{ t: node.tc }, { c: node.oc }]] : node.oc; }
    if (node.c) { return node.c; }
    return null;
  }

  function same(word, literal) {
    return word.toUpperCase() === literal.toUpperCase();
  }

  // Whether node can begin with word; literalOnly: only through a literal token.
  function startsWith(node, word, literalOnly) {
    if (node.t !== undefined) { return same(word, node.t); }
    if (node.a !== undefined) { return !literalOnly; }
    if (node.r) { return seqStarts(node.r, word, literalOnly); }
    return inner(node).some(function (alt) { return seqStarts(alt, word, literalOnly); });
  }

  function seqStarts(items, word, literalOnly) {
    for (var i = 0; i < items.length; i += 1) {
      if (startsWith(items[i], word, literalOnly)) { return true; }
      if (!isOptional(items[i])) { return false; }
    }
    return false;
  }

  // Match node at words[j]; {n: words used, done: nothing more is required, rest: the
  // nodes still to type, for the hint}. Null when node cannot begin with words[j].
  function matchNode(node, words, j, end, literalOnly) {
    if (node.t !== undefined || node.a !== undefined) { return { n: 1, done: true, rest: [] }; }
    if (node.r) {
      var used = 0;
      var last = null;
      while (j + used < end && startsWith(node, words[j + used], false)) {
        last = matchList(node.r, words, j + used, end);
        if (last.n === 0) { break; }
        used += last.n;
        if (!last.done) { break; }
      }
      return last ? { n: used, done: last.done, rest: last.done ? [] : last.rest } : null;
    }
    var alts = inner(node);
    var alt = alts.filter(function (a) { return seqStarts(a, words[j], true); })[0] ||
      (literalOnly ? null : alts.filter(function (a) { return seqStarts(a, words[j], false); })[0]);
    return alt ? matchList(alt, words, j, end) : null;
  }

  function requiredAfter(items, k) {
    var count = 0;
    for (var i = k + 1; i < items.length; i += 1) { if (!isOptional(items[i])) { count += 1; } }
    return count;
  }

  // Match a sequence: required items in order; optional ones in any order while no
  // required item after them has been matched (as Redis parses most options).
  function matchList(items, words, i, end) {
    var used = items.map(function () { return false; });
    var runStart = 0;
    var j = i;
    var lastMatched = -1;
    var lastResult = null;
    var partial = null;
    while (j < end) {
      var choice = -1;
      var result = null;
      for (var pass = 0; pass < 2 && choice < 0; pass += 1) {
        for (var k = runStart; k < items.length; k += 1) {
          var node = items[k];
          if (!used[k] && startsWith(node, words[j], pass === 0)) {
            var limit = node.r ? Math.max(j + 1, end - requiredAfter(items, k)) : end;
            result = matchNode(node, words, j, limit, pass === 0);
            if (result && result.n > 0) { choice = k; break; }
          }
          if (!used[k] && !isOptional(node)) { break; }
        }
      }
      if (choice < 0) { break; } // the rest of the words belong to whatever comes after
      used[choice] = true;
      lastMatched = choice;
      lastResult = result;
      j += result.n;
      if (!isOptional(items[choice])) { runStart = choice + 1; }
      if (!result.done) { partial = result; break; }
    }
    // What is left: inside the last node matched (its own options, or all it still
    // needs), another round of it if it repeats, then the nodes not used yet.
    var rest = lastResult ? lastResult.rest.slice() : [];
    if (!partial && lastMatched >= 0 && items[lastMatched].r) { rest.push({ rep: items[lastMatched] }); }
    for (var m = runStart; m < items.length; m += 1) {
      if (!used[m]) { rest.push(items[m]); }
    }
    var done = !partial && items.every(function (node, index) { return used[index] || isOptional(node); });
    return { n: j - i, done: done, rest: rest };
  }

  // The literal tokens that could come next, and whether a key could (for Tab).
  function expected(items, words) {
    var result = matchList(items, words, 0, words.length);
    var out = { tokens: [], key: false };
    if (result.n < words.length) { return out; }
    firsts(result.rest, out);
    out.tokens = out.tokens.filter(function (t, i, all) {
      return t !== "..." && t !== '""' && all.indexOf(t) === i;
    });
    return out;
  }

  // Collect what can begin a sequence: every node up to and including the first required.
  function firsts(nodes, out) {
    for (var i = 0; i < nodes.length; i += 1) {
      var node = nodes[i].rep || nodes[i];
      if (node.t !== undefined) {
        out.tokens.push(node.t);
      } else if (node.a !== undefined) {
        out.key = out.key || node.k === 1;
      } else if (node.r) {
        firsts(node.r, out);
      } else {
        inner(node).forEach(function (alt) { firsts(alt, out); });
      }
      if (!nodes[i].rep && !isOptional(node)) { return; }
    }
  }

  function renderRest(nodes) {
    return nodes.map(function (node) { return node.rep ? repeatHint(node.rep) : renderNode(node); }).join(" ");
  }

  // --- the catalogue entry for what was typed ---

  // {entry, name, words: how many words name it} or {unknown: true} or null (not yet).
  function lookup(words) {
    if (!catalogue || !words.length) { return null; }
    var name = words[0].text.toLowerCase();
    var entry = catalogue[name];
    if (!entry) { return { unknown: true, name: name }; }
    if (entry.subs && words.length > 1) {
      var sub = name + "|" + words[1].text.toLowerCase();
      if (catalogue[sub]) { return { entry: catalogue[sub], name: sub, words: 2 }; }
      return { unknownSub: true, entry: entry, name: name, words: 1 };
    }
    return { entry: entry, name: name, words: 1 };
  }

  function availableSubs(name, entry) {
    return entry.subs.filter(function (sub) {
      var child = catalogue[name + "|" + sub];
      return child && !child.why;
    }).map(function (sub) { return sub.toUpperCase(); });
  }

  // The grey text redis-cli would show after the line, and a note for the line below it.
  function hint(line) {
    var parsed = split(line);
    if (!parsed || !parsed.words.length || !catalogue) { return { text: "", note: null }; }
    var words = parsed.words;
    var found = lookup(words);
    var lead = parsed.spaceAfter ? "" : " ";
    var typingName = words.length === 1 && !parsed.spaceAfter;
    if (found.unknown) {
      if (typingName) { return { text: "", note: null }; }
      return { text: "", note: { kind: "error", text: unknownNote(words[0].text) } };
    }
    var entry = found.entry;
    if (entry.why) {
      return { text: "", note: { kind: "refused", text: entry.n + " is not available in the sandbox: " + entry.why } };
    }
    if (found.unknownSub) {
      if (words.length === 2 && !parsed.spaceAfter) { return { text: "", note: null }; }
      return { text: "", note: { kind: "error", text: unknownSubNote(found.name, words[1].text) } };
    }
    if (entry.subs && found.words === 1) {
      if (words.length > 1) { return { text: "", note: null }; }
      return { text: lead + "<" + availableSubs(found.name, entry).join(" | ") + "> ...", note: null };
    }
    var args = words.slice(found.words).map(function (w) { return w.text; });
    if (!entry.a) { return { text: args.length ? "" : lead + entry.x, note: null }; }
    var result = matchList(entry.a, args, 0, args.length);
    if (result.n < args.length) { return { text: "", note: null }; } // more than it takes
    var text = renderRest(result.rest);
    return { text: text ? lead + text : "", note: null };
  }

  // --- did you mean ---

  function distance(a, b) {
    // Damerau-Levenshtein (optimal string alignment): "GTE" is one step from "GET".
    var d = [];
    for (var i = 0; i <= a.length; i += 1) { d.push([i]); }
    for (var j = 1; j <= b.length; j += 1) { d[0][j] = j; }
    for (i = 1; i <= a.length; i += 1) {
      for (j = 1; j <= b.length; j += 1) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length][b.length];
  }

  function nearest(word, names) {
    var typed = word.toLowerCase();
    var limit = typed.length <= 4 ? 1 : 2;
    var best = limit + 1;
    var found = [];
    names.forEach(function (name) {
      var cost = distance(typed, name);
      if (cost < best) { best = cost; found = [name]; } else if (cost === best) { found.push(name); }
    });
    return best <= limit ? found.slice(0, 3) : [];
  }

  function commandNames() {
    return Object.keys(catalogue || {}).filter(function (name) {
      return name.indexOf("|") < 0 && !catalogue[name].why;
    });
  }

  // Near names for an unknown command (["SET"]), or for an unknown subcommand.
  function suggest(word, container) {
    if (!catalogue) { return []; }
    if (container) {
      var entry = catalogue[container.toLowerCase()];
      if (!entry || !entry.subs) { return []; }
      return nearest(word, entry.subs.filter(function (sub) {
        return !catalogue[container.toLowerCase() + "|" + sub].why;
      })).map(function (sub) { return (container + " " + sub).toUpperCase(); });
    }
    return nearest(word, commandNames()).map(function (name) { return name.toUpperCase(); });
  }

  function didYouMean(names) {
    return names.length ? "did you mean " + names.join(" or ") + "?" : "";
  }

  function unknownNote(word) {
    var guess = didYouMean(suggest(word));
    return "Unknown command" + (guess ? ": " + guess : ". Type help for the list.");
  }

  function unknownSubNote(container, word) {
    var guess = didYouMean(suggest(word, container));
    return "Unknown subcommand" + (guess ? ": " + guess : ". Type help " + container + " for the list.");
  }

  tryredis.hints = {
    split: split,
    load: load,
    whenLoaded: whenLoaded,
    lookup: lookup,
    hint: hint,
    expected: expected,
    suggest: suggest,
    didYouMean: didYouMean,
    commandNames: commandNames,
    availableSubs: availableSubs,
    render: render,
    catalogue: function () { return catalogue; }
  };
})();
