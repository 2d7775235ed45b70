// The live labs: buttons call the lab endpoints and show what the server measured.
// Everything shown is written with textContent, never as HTML: repository names,
// keys and bodies may be whatever a learner typed.
(function () {
  "use strict";

  var REASONS = {
    200: "OK", 204: "No Content", 304: "Not Modified", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
    413: "Content Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests",
    500: "Internal Server Error", 503: "Service Unavailable"
  };
  var SHOWN_HEADERS = [
    "cache-control", "etag", "last-modified", "vary", "age", "x-cache",
    "x-origin-cache-control", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining",
    "content-type", "content-length", "server-timing", "x-upstream-calls", "x-redis-commands"
  ];

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // One request; resolves with the response, its parsed JSON (if any) and the round trip.
  function call(url, options) {
    options = options || {};
    var headers = {};
    Object.keys(options.headers || {}).forEach(function (name) { headers[name] = options.headers[name]; });
    if (options.csrf !== false) { headers["X-CSRF-Token"] = csrfToken(); }
    var init = { method: options.method || "GET", credentials: "same-origin", cache: "no-store", headers: headers };
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.json);
    }
    var start = performance.now();
    return fetch(url, init).then(function (response) {
      // A lab request may have written to the learner's sandbox: the keys panel reads again.
      document.body.dispatchEvent(new CustomEvent("tryredis:wrote", { bubbles: true }));
      return response.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        return {
          response: response, body: body, text: text, ms: performance.now() - start,
          method: init.method, url: url, requestHeaders: headers
        };
      });
    });
  }

  function problem(result) {
    var response = result.response;
    var body = result.body || {};
    if (response.status === 429 && !body.limiter) {
      return "The site's own limit on your sandbox answered 429 (" + (body.error || "too many requests") +
        "). Try again in " + (response.headers.get("Retry-After") || "1") + " s.";
    }
    if (response.status === 401 || response.status === 403) {
      return "Your session expired or this page is stale: reload the page.";
    }
    if (response.status === 503) {
      return "Redis is unreachable right now; try again in a moment.";
    }
    return (body.error || ("HTTP " + response.status)) + ".";
  }

  function unreachable() {
    return "The site cannot be reached. Check your connection and try again.";
  }

  function ms(value) {
    if (typeof value !== "number") { return "?"; }
    return (value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)) + " ms";
  }

  function seconds(valueMs) {
    return (valueMs / 1000).toFixed(1) + " s";
  }

  function plural(count, word) {
    return count + " " + word + (count === 1 ? "" : "s");
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function addRow(tbody, cells) {
    var row = document.createElement("tr");
    // Each cell carries its column's name: on a phone the rows are drawn as cards.
    var table = tbody.closest("table");
    var names = table ? Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    }) : [];
    cells.forEach(function (cell, index) {
      var td = document.createElement("td");
      if (names[index]) { td.setAttribute("data-label", names[index]); }
      if (cell instanceof Node) { td.appendChild(cell); } else { td.textContent = String(cell); }
      row.appendChild(td);
    });
    tbody.appendChild(row);
    return row;
  }

  function badge(text, kind) {
    return el("span", text, "lab-badge is-" + kind);
  }

  function setStatus(node, text, isError) {
    if (!node) { return; }
    node.textContent = text;
    node.classList.toggle("is-error", Boolean(isError));
  }

  function waitNote(body) {
    if (body && body.token_wait_ms > 0) {
      return " Waited " + seconds(body.token_wait_ms) + " for your sandbox's rate limit.";
    }
    return "";
  }

  function showTrace(root, body) {
    var list = root.querySelector("[data-trace]");
    if (!list || !body || !Array.isArray(body.trace)) { return; }
    list.textContent = "";
    body.trace.forEach(function (line) { list.appendChild(el("li", line)); });
  }

  function repoOf(root) {
    var input = root.querySelector("[data-repo]");
    return input ? input.value.trim() : "redis/redis";
  }

  function runInRepl(lines) {
    if (window.tryredisRepl) {
      window.tryredisRepl.submit(lines, false);
      var input = document.getElementById("repl-input");
      if (input) { input.focus({ preventScroll: true }); }
    }
  }

  function bindReplButtons(root) {
    root.querySelectorAll("[data-repl-lines]").forEach(function (button) {
      button.addEventListener("click", function () {
        var lines;
        try { lines = JSON.parse(button.getAttribute("data-repl-lines") || "[]"); } catch (e) { lines = []; }
        var repo = repoOf(root);
        runInRepl(lines.map(function (line) { return line.split("{repo}").join(repo); }));
      });
    });
  }

  function busy(root, flag) {
    root.querySelectorAll("button[type=submit], button[data-send], button[data-call], button[data-action]")
      .forEach(function (button) { button.disabled = flag; });
    root.setAttribute("aria-busy", flag ? "true" : "false");
  }

  // Lesson 12 and 13: cache-aside.
  function cacheAside(root) {
    var fetchUrl = root.getAttribute("data-fetch-url");
    var updateUrl = root.getAttribute("data-update-url");
    var rows = root.querySelector('[data-rows="fetch"]');
    var fetchStatus = root.querySelector('[data-status="fetch"]');
    var updateStatus = root.querySelector('[data-status="update"]');
    var total = root.querySelector('[data-total="upstream"]');
    var upstreamCalls = 0;
    var reads = 0;

    root.querySelector('[data-form="fetch"]').addEventListener("submit", function (event) {
      event.preventDefault();
      busy(root, true);
      call(fetchUrl, { method: "POST", json: { repo: repoOf(root) } }).then(function (result) {
        var body = result.body;
        if (!result.response.ok || !body) {
          setStatus(fetchStatus, problem(result), true);
          return;
        }
        reads += 1;
        upstreamCalls += body.upstream_calls;
        total.textContent = String(upstreamCalls);
        var cache = document.createDocumentFragment();
        cache.appendChild(badge(body.outcome.toUpperCase(), body.outcome));
        if (body.stale) { cache.appendChild(document.createTextNode(" ")); cache.appendChild(badge("STALE", "stale")); }
        addRow(rows, [reads, cache, body.stars, ms(body.ms), body.upstream_calls, body.ttl + " s", body.database_stars]);
        var text = (body.outcome === "hit" ? "Hit: " : "Miss: ") + body.stars + " stars in " + ms(body.ms) +
          ", " + plural(body.upstream_calls, "upstream call") + ". " + body.key + " has " + body.ttl + " s to live.";
        if (body.stale) {
          text += " Stale: the cache says " + body.stars + ", the database says " + body.database_stars + ".";
        }
        setStatus(fetchStatus, text + waitNote(body), false);
        showTrace(root, body);
      }).catch(function () {
        setStatus(fetchStatus, unreachable(), true);
      }).then(function () { busy(root, false); });
    });

    root.querySelector('[data-form="update"]').addEventListener("submit", function (event) {
      event.preventDefault();
      var invalidate = Boolean(event.submitter && event.submitter.value === "true");
      var stars = parseInt(root.querySelector('input[name="stars"]').value, 10);
      busy(root, true);
      call(updateUrl, { method: "POST", json: { repo: repoOf(root), stars: stars, invalidate: invalidate } })
        .then(function (result) {
          var body = result.body;
          if (!result.response.ok || !body) {
            setStatus(updateStatus, problem(result), true);
            return;
          }
          var text = "The database now says " + body.database_stars + " for " + body.repo + ". ";
          if (body.invalidated) {
            text += "DEL " + body.key + " answered " + body.deleted + ": the next read is a miss that loads the new value.";
          } else {
            text += body.key + " was left alone: reads stay stale until it expires.";
          }
          setStatus(updateStatus, text + waitNote(body), false);
          showTrace(root, body);
        }).catch(function () {
          setStatus(updateStatus, unreachable(), true);
        }).then(function () { busy(root, false); });
    });
  }

  // Lesson 13: the stampede.
  function stampede(root) {
    var runUrl = root.getAttribute("data-run-url");
    var rows = root.querySelector('[data-rows="run"]');
    var status = root.querySelector('[data-status="run"]');
    root.querySelector('[data-form="run"]').addEventListener("submit", function (event) {
      event.preventDefault();
      var lock = Boolean(event.submitter && event.submitter.value === "true");
      var clients = parseInt(root.querySelector('input[name="clients"]').value, 10);
      var crash = root.querySelector('input[name="crash"]').checked;
      busy(root, true);
      setStatus(status, "Running " + clients + " clients " + (lock ? "with" : "without") +
        " the lock, and paying for their Redis commands from your sandbox's rate limit…", false);
      call(runUrl, { method: "POST", json: { clients: clients, lock: lock, crash: crash } }).then(function (result) {
        var body = result.body;
        if (!result.response.ok || !body) {
          setStatus(status, problem(result), true);
          return;
        }
        var name = body.lock ? (body.crash ? "With the lock (holder crashed)" : "With the lock") : "Without a lock";
        addRow(rows, [
          name, body.clients, body.upstream_calls, body.redis_commands_clients, ms(body.ms),
          ms(body.slowest_ms), body.lock ? body.waiters + " (" + plural(body.polls, "poll") + ")" : "–",
          body.lock_left_ms > 0 ? seconds(body.lock_left_ms) : "–"
        ]);
        var text = name + ": " + body.clients + " clients made " + plural(body.upstream_calls, "upstream call") +
          " and " + plural(body.redis_commands_clients, "Redis command") + " in " + ms(body.ms) +
          "; the slowest client waited " + ms(body.slowest_ms) + ".";
        if (body.lock_left_ms > 0) {
          text += " The lock " + body.lock_key + " is still there for " + seconds(body.lock_left_ms) + ".";
        }
        if (!body.agreed) { text += " The clients did not all get the same value."; }
        setStatus(status, text + waitNote(body), false);
        showTrace(root, body);
      }).catch(function () {
        setStatus(status, unreachable(), true);
      }).then(function () { busy(root, false); });
    });
  }

  // Lesson 14: two limiters, hammered from the page.
  function rateLimit(root) {
    root.querySelectorAll("[data-limiter]").forEach(function (section) {
      var url = section.getAttribute("data-url");
      var limiter = section.getAttribute("data-limiter");
      var rows = section.querySelector("[data-rows]");
      var status = section.querySelector("[data-status]");
      var sent = 0;
      var lastKey = null;

      function one() {
        return call(url, { method: "POST", json: {} }).then(function (result) {
          var response = result.response;
          var body = result.body || {};
          sent += 1;
          if (body.key) { lastKey = body.key; }
          var kind = response.status === 200 ? "hit" : "miss";
          var label = response.status + " " + (REASONS[response.status] || "");
          if (response.status === 429 && !body.limiter) { label += " (site limit)"; kind = "stale"; }
          addRow(rows, [
            sent, badge(label, kind), response.headers.get("Retry-After") ? response.headers.get("Retry-After") + " s" : "–",
            body.count !== undefined ? body.count : "–",
            response.headers.get("X-RateLimit-Remaining") || "–", ms(result.ms)
          ]);
          showTrace(root, body);
          return result;
        });
      }

      section.querySelectorAll("[data-send]").forEach(function (button) {
        button.addEventListener("click", function () {
          var count = parseInt(button.getAttribute("data-send"), 10);
          var tally = { ok: 0, limited: 0, other: 0, retry: null, waited: 0 };
          var chain = Promise.resolve();
          busy(root, true);
          for (var i = 0; i < count; i += 1) {
            chain = chain.then(one).then(function (result) {
              var code = result.response.status;
              if (code === 200) { tally.ok += 1; }
              else if (code === 429 && result.body && result.body.limiter) { tally.limited += 1; tally.retry = result.response.headers.get("Retry-After"); }
              else { tally.other += 1; tally.problem = problem(result); }
              if (result.body && result.body.token_wait_ms) { tally.waited += result.body.token_wait_ms; }
            });
          }
          chain.then(function () {
            var text = limiter === "fixed" ? "Fixed window: " : "Sliding window: ";
            text += tally.ok + " × 200, " + tally.limited + " × 429";
            if (tally.retry) { text += " (Retry-After: " + tally.retry + " s)"; }
            text += ".";
            if (tally.other) { text += " " + tally.problem; }
            if (tally.waited) { text += " Waited " + seconds(tally.waited) + " in all for your sandbox's rate limit."; }
            setStatus(status, text, Boolean(tally.other));
          }).catch(function () {
            setStatus(status, unreachable(), true);
          }).then(function () { busy(root, false); });
        });
      });

      section.querySelector("[data-repl-key]").addEventListener("click", function () {
        var lines = ["KEYS rate:*"];
        if (lastKey && limiter === "fixed") { lines.push("GET " + lastKey, "TTL " + lastKey); }
        if (lastKey && limiter === "sliding") { lines.push("ZRANGE " + lastKey + " 0 -1 WITHSCORES", "TTL " + lastKey); }
        runInRepl(lines);
      });
    });
  }

  // Lesson 15: the toy app's session.
  function sessions(root) {
    var status = root.querySelector("[data-status]");
    var facts = root.querySelector("[data-facts]");
    var lastKey = null;

    function fact(name, text) { facts.querySelector('[data-fact="' + name + '"]').textContent = text; }

    function fieldsText(fields) {
      return Object.keys(fields || {}).map(function (name) { return name + " = " + fields[name]; }).join(", ");
    }

    function handle(promise, describe) {
      busy(root, true);
      promise.then(function (result) {
        var body = result.body || {};
        showTrace(root, body);
        if (result.response.ok) {
          setStatus(status, describe(body) + waitNote(body), false);
        } else if (result.response.status === 401 && body.error) {
          setStatus(status, (body.error === "not logged in" ? "Not logged in: no session for this cookie." : "Wrong user or password.") + waitNote(body), false);
          facts.hidden = true;
        } else {
          setStatus(status, problem(result), true);
        }
      }).catch(function () {
        setStatus(status, unreachable(), true);
      }).then(function () { busy(root, false); });
    }

    root.querySelector('[data-form="login"]').addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      handle(call(root.getAttribute("data-login-url"), {
        method: "POST", json: { user: form.elements.user.value, password: form.elements.password.value }
      }), function (body) {
        lastKey = body.session_key;
        facts.hidden = false;
        fact("key", body.session_key);
        fact("fields", fieldsText(body.fields));
        fact("ttl", body.ttl + " s (a fresh session)");
        fact("cookie", body.cookie);
        return "Logged in as " + body.user + "." + (body.replaced ? " The previous session was deleted: a new token at every login." : "");
      });
    });

    root.querySelector('[data-action="me"]').addEventListener("click", function () {
      handle(call(root.getAttribute("data-me-url")), function (body) {
        lastKey = body.session_key;
        facts.hidden = false;
        fact("key", body.session_key);
        fact("fields", fieldsText(body.fields));
        fact("ttl", body.ttl_before + " s before this request, pushed back to " + body.ttl + " s");
        return "You are " + body.user + ". The session's TTL went from " + body.ttl_before + " s back to " + body.ttl + " s.";
      });
    });

    root.querySelector('[data-action="logout"]').addEventListener("click", function () {
      handle(call(root.getAttribute("data-logout-url"), { method: "POST", json: {} }), function (body) {
        facts.hidden = true;
        return body.session_key ? "Logged out: " + body.session_key + " is deleted and the cookie cleared." : "Logged out (there was no session).";
      });
    });

    root.querySelector("[data-repl-session]").addEventListener("click", function () {
      var lines = ["KEYS *"];
      if (lastKey) { lines.push("HGETALL " + lastKey, "TTL " + lastKey); }
      runInRepl(lines);
    });
  }

  // Lesson 16: requests and responses with their headers.
  function httpCaching(root) {
    var log = root.querySelector("[data-exchanges]");
    var status = root.querySelector("[data-status]");
    var validators = { etag: null, modified: null };

    function url(template) {
      var parts = repoOf(root).split("/");
      return root.getAttribute(template)
        .replace("OWNER", encodeURIComponent(parts[0] || ""))
        .replace("NAME", encodeURIComponent(parts.slice(1).join("/")));
    }

    function show(result) {
      var response = result.response;
      var card = el("article", null, "exchange");
      var title = result.method + " " + result.url + " → " + response.status + " " + (REASONS[response.status] || "") + " · " + ms(result.ms);
      card.appendChild(el("h3", title));
      var sentLines = [result.method + " " + result.url];
      Object.keys(result.requestHeaders).forEach(function (name) {
        sentLines.push(name + ": " + (name === "X-CSRF-Token" ? "(this page's token)" : result.requestHeaders[name]));
      });
      sentLines.push("Cookie: (sent by the browser)");
      var gotLines = ["HTTP " + response.status + " " + (REASONS[response.status] || "")];
      SHOWN_HEADERS.forEach(function (name) {
        var value = response.headers.get(name);
        if (value !== null) { gotLines.push(name + ": " + value); }
      });
      var columns = el("div", null, "exchange-columns");
      var sent = el("div"); sent.appendChild(el("h4", "Request")); sent.appendChild(el("pre", sentLines.join("\n")));
      var got = el("div"); got.appendChild(el("h4", "Response")); got.appendChild(el("pre", gotLines.join("\n")));
      columns.appendChild(sent);
      columns.appendChild(got);
      card.appendChild(columns);
      var size = new TextEncoder().encode(result.text).length;
      var preview = result.text.length > 240 ? result.text.slice(0, 240) + "…" : result.text;
      card.appendChild(el("p", size ? "Body: " + size + " bytes" : "No body.", "exchange-body"));
      if (size && (response.headers.get("content-type") || "").indexOf("json") >= 0) {
        card.appendChild(el("pre", preview, "exchange-preview"));
      }
      log.insertBefore(card, log.firstChild);
      while (log.children.length > 8) { log.removeChild(log.lastChild); }
      var cache = response.headers.get("x-cache");
      var text = result.method + " → " + response.status + " " + (REASONS[response.status] || "") + " in " + ms(result.ms);
      if (cache) { text += ", X-Cache: " + cache + ", Age: " + response.headers.get("age"); }
      if (response.headers.get("x-upstream-calls") !== null) {
        text += ", " + plural(parseInt(response.headers.get("x-upstream-calls"), 10), "upstream call");
      }
      setStatus(status, text + ".", !(response.ok || response.status === 304));
      return result;
    }

    function remember(result) {
      if (result.response.status === 200) {
        validators.etag = result.response.headers.get("etag");
        validators.modified = result.response.headers.get("last-modified");
      }
      return result;
    }

    function repoGet(headers) {
      return call(url("data-repo-url"), { headers: headers }).then(remember).then(show);
    }

    function withValidator(name, header) {
      if (validators[name]) {
        var headers = {};
        headers[header] = validators[name];
        return repoGet(headers);
      }
      // No copy yet: get one first, as a browser would.
      return repoGet({}).then(function () {
        if (!validators[name]) { return null; }
        var headers = {};
        headers[header] = validators[name];
        return repoGet(headers);
      });
    }

    var actions = {
      plain: function () { return repoGet({}); },
      inm: function () { return withValidator("etag", "If-None-Match"); },
      ims: function () { return withValidator("modified", "If-Modified-Since"); },
      star: function () { return call(url("data-star-url"), { method: "POST", json: {} }).then(show); },
      proxy: function () { return call(url("data-proxy-url")).then(show); },
      origin: function () { return call(url("data-origin-url"), { csrf: false }).then(show); },
      lesson: function () {
        var lessonUrl = root.getAttribute("data-lesson-url");
        return call(lessonUrl, { csrf: false }).then(function (first) {
          show(first);
          var etag = first.response.headers.get("etag");
          if (!etag) { return first; }
          return call(lessonUrl, { csrf: false, headers: { "If-None-Match": etag } }).then(show);
        });
      },
      asset: function () { return call(root.getAttribute("data-asset-url"), { csrf: false }).then(show); }
    };

    root.querySelectorAll("[data-call]").forEach(function (button) {
      button.addEventListener("click", function () {
        busy(root, true);
        actions[button.getAttribute("data-call")]().catch(function () {
          setStatus(status, unreachable(), true);
        }).then(function () { busy(root, false); });
      });
    });
  }

  var LABS = {
    "cache-aside": cacheAside,
    "stampede": stampede,
    "rate-limit": rateLimit,
    "sessions": sessions,
    "http-caching": httpCaching
  };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-lab]").forEach(function (root) {
      var setup = LABS[root.getAttribute("data-lab")];
      if (setup) {
        setup(root);
        bindReplButtons(root);
      }
    });
  });
})();
