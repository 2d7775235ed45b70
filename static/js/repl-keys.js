// tryredis.KeysPanel: the learner's keys beside the REPL, and the selected key's value as
// a picture. Read-only; every read pays one command of the learner's rate limit, so the
// panel only reads while it is visible, and again after something wrote to the sandbox:
//   document.body.dispatchEvent(new CustomEvent("tryredis:wrote", { bubbles: true }))
// (the REPL fires it after a writing command; labs and code cells fire it too).
// Everything is written with textContent: key names and values are whatever was typed.
(function () {
  "use strict";

  var tryredis = window.tryredis = window.tryredis || {};
  var TYPE_NAMES = {
    string: "string", list: "list", hash: "hash", set: "set", zset: "sorted set", stream: "stream"
  };
  var BITS_SHOWN = 64; // bytes drawn as bits at most

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function ttlText(ms) {
    if (ms === null || ms === undefined) { return "no expiry"; }
    var s = Math.max(0, Math.ceil(ms / 1000));
    if (s < 60) { return s + " s"; }
    if (s < 3600) { return Math.floor(s / 60) + " min " + (s % 60) + " s"; }
    if (s < 86400) { return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min"; }
    return Math.floor(s / 86400) + " d";
  }

  function sizeText(key) {
    if (key.type === "string") { return key.size + (key.size === 1 ? " byte" : " bytes"); }
    var unit = { list: "element", hash: "field", set: "member", zset: "member", stream: "entry" }[key.type] || "item";
    var plural = unit === "entry" ? "entries" : unit + "s";
    return key.size + " " + (key.size === 1 ? unit : plural);
  }

  function KeysPanel(root, options) {
    this.root = root;
    this.url = options.url;
    this.keyUrl = options.keyUrl;
    this.csrf = options.csrf;
    this.isVisible = options.isVisible;
    this.list = root.querySelector("[data-keys-list]");
    this.count = root.querySelector("[data-keys-count]");
    this.filter = root.querySelector("[data-keys-filter]");
    this.detail = root.querySelector("[data-keys-detail]");
    this.status = root.querySelector("[data-keys-status]");
    this.keys = [];
    this.selected = null;
    this.fetchedAt = 0;
    this.dirty = true;
    this.inFlight = false;
    this.again = false;
    this.timer = null;
    this.ticker = null;
    this.bind();
  }

  KeysPanel.prototype.bind = function () {
    var self = this;
    var debounce = null;
    document.addEventListener("tryredis:wrote", function () { self.changed(); });
    if (this.filter) {
      this.filter.addEventListener("input", function () {
        window.clearTimeout(debounce);
        debounce = window.setTimeout(function () { self.changed(); }, 250);
      });
    }
    this.root.addEventListener("click", function (event) {
      var button = event.target.closest("[data-key-arg]");
      if (button && self.list.contains(button)) { self.select(button.getAttribute("data-key-arg")); }
    });
  };

  // Something wrote: read again now if the panel is on screen, else when it is shown.
  KeysPanel.prototype.changed = function () {
    this.dirty = true;
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.refreshIfShown(); }, 120);
  };

  KeysPanel.prototype.refreshIfShown = function () {
    if (this.dirty && this.isVisible()) { this.refresh(); }
  };

  KeysPanel.prototype.get = function (url) {
    return fetch(url, { credentials: "same-origin", headers: { "X-CSRF-Token": this.csrf() } })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { status: response.status, body: body, retry: response.headers.get("Retry-After") };
        });
      });
  };

  KeysPanel.prototype.refresh = function () {
    var self = this;
    if (this.inFlight) { this.again = true; return Promise.resolve(); }
    this.inFlight = true;
    this.dirty = false;
    var match = this.filter ? this.filter.value.trim() : "";
    return this.get(this.url + "?match=" + encodeURIComponent(match)).then(function (answer) {
      if (answer.status === 429) {
        self.dirty = true;
        self.say("Too many commands right now; the list updates in " + (answer.retry || "1") + " s.");
        self.timer = window.setTimeout(function () { self.refreshIfShown(); }, 1000 * Number(answer.retry || 1));
        return;
      }
      if (answer.status !== 200) {
        self.say("Your keys cannot be read right now (HTTP " + answer.status + ").");
        return;
      }
      self.fetchedAt = Date.now();
      self.keys = answer.body.keys || [];
      self.renderList(answer.body.total || 0, match);
      if (self.selected) { return self.select(self.selected, true); }
    }).catch(function () {
      self.dirty = true;
      self.say("The site cannot be reached.");
    }).then(function () {
      self.inFlight = false;
      if (self.again) { self.again = false; self.refreshIfShown(); }
    });
  };

  KeysPanel.prototype.say = function (text) {
    if (this.status) { this.status.textContent = text; }
  };

  KeysPanel.prototype.renderList = function (total, match) {
    var self = this;
    this.list.textContent = "";
    if (this.count) { this.count.textContent = String(total); }
    this.keys.forEach(function (key) {
      var item = el("li", null, "keys-item");
      var button = el("button", null, "keys-button");
      button.type = "button";
      button.setAttribute("data-key-arg", key.arg);
      if (self.selected === key.arg) { button.setAttribute("aria-current", "true"); }
      button.appendChild(el("span", key.name, "keys-name"));
      var meta = el("span", null, "keys-meta");
      meta.appendChild(el("span", TYPE_NAMES[key.type] || key.type, "keys-type type-" + key.type));
      meta.appendChild(el("span", sizeText(key), "keys-size"));
      var ttl = el("span", ttlText(key.ttl_ms), "keys-ttl");
      if (key.ttl_ms !== null) { ttl.setAttribute("data-expires", String(self.fetchedAt + key.ttl_ms)); }
      meta.appendChild(ttl);
      button.appendChild(meta);
      item.appendChild(button);
      self.list.appendChild(item);
    });
    var shown = this.keys.length;
    if (!total) {
      this.say(match ? "No key matches \u201c" + match + "\u201d." : "No keys yet: SET one and it appears here.");
    } else if (shown < total) {
      this.say("The first " + shown + " of " + total + " keys, by name: filter to find the others.");
    } else {
      this.say(total + (total === 1 ? " key" : " keys") + ".");
    }
    this.tick();
  };

  // TTLs count down each second; a key that reaches 0 has expired: read the list again.
  KeysPanel.prototype.tick = function () {
    var self = this;
    window.clearInterval(this.ticker);
    var counters = this.root.querySelectorAll("[data-expires]");
    if (!counters.length) { return; }
    this.ticker = window.setInterval(function () {
      var now = Date.now();
      var expired = false;
      self.root.querySelectorAll("[data-expires]").forEach(function (node) {
        var left = Number(node.getAttribute("data-expires")) - now;
        node.textContent = ttlText(left);
        if (left <= 0) { expired = true; }
      });
      if (expired) { window.clearInterval(self.ticker); self.changed(); }
    }, 1000);
  };

  KeysPanel.prototype.select = function (arg, quiet) {
    var self = this;
    this.selected = arg;
    this.list.querySelectorAll("[data-key-arg]").forEach(function (button) {
      if (button.getAttribute("data-key-arg") === arg) {
        button.setAttribute("aria-current", "true");
      } else {
        button.removeAttribute("aria-current");
      }
    });
    return this.get(this.keyUrl + "?key=" + encodeURIComponent(arg)).then(function (answer) {
      if (self.selected !== arg) { return; }
      if (answer.status !== 200) {
        if (!quiet) { self.say("The key cannot be read right now (HTTP " + answer.status + ")."); }
        return;
      }
      self.showValue(arg, answer.body);
    });
  };

  KeysPanel.prototype.more = function (arg, page, container) {
    var self = this;
    return this.get(this.keyUrl + "?key=" + encodeURIComponent(arg) + "&page=" + encodeURIComponent(page))
      .then(function (answer) {
        if (answer.status === 200 && !answer.body.gone && self.selected === arg) {
          self.pictureInto(container, answer.body, true);
        }
      });
  };

  KeysPanel.prototype.showValue = function (arg, view) {
    var detail = this.detail;
    detail.textContent = "";
    if (view.gone) {
      detail.appendChild(el("p", "This key no longer exists.", "keys-gone"));
      this.selected = null;
      return;
    }
    var heading = el("h3", view.name, "keys-detail-name");
    detail.appendChild(heading);
    var facts = el("dl", null, "keys-facts");
    var kind = view.estimate !== undefined ? "HyperLogLog (a string)" : TYPE_NAMES[view.type] || view.type;
    [["type", kind], ["encoding", view.encoding], ["size", sizeText(view)], ["TTL", ttlText(view.ttl_ms)]]
      .forEach(function (pair) {
        var group = el("div"); // a dl may group each term with its value
        group.appendChild(el("dt", pair[0]));
        var value = el("dd", pair[1]);
        if (pair[0] === "TTL" && view.ttl_ms !== null) {
          value.setAttribute("data-expires", String(Date.now() + view.ttl_ms));
        }
        group.appendChild(value);
        facts.appendChild(group);
      });
    detail.appendChild(facts);
    var picture = el("div", null, "keys-picture");
    detail.appendChild(picture);
    this.pictureInto(picture, view, false);
    this.tick();
  };

  KeysPanel.prototype.pictureInto = function (container, view, appending) {
    var self = this;
    var old = container.querySelector(".keys-more");
    if (old) { old.remove(); }
    var draw = PICTURES[view.estimate !== undefined ? "hyperloglog" : view.type];
    if (draw) { draw(container, view, appending); }
    if (view.next_page !== null && view.next_page !== undefined) {
      var more = el("button", "Show more", "keys-more");
      more.type = "button";
      more.addEventListener("click", function () {
        more.disabled = true;
        self.more(self.selected, view.next_page, container);
      });
      container.appendChild(more);
    }
  };

  function part(container, tag, className, appending) {
    var existing = appending ? container.querySelector("." + className.split(" ")[0]) : null;
    if (existing) { return existing; }
    var node = el(tag, null, className);
    container.appendChild(node);
    return node;
  }

  function table(container, className, headers, caption, appending) {
    var existing = appending ? container.querySelector("table." + className + " tbody") : null;
    if (existing) { return existing; }
    var node = el("table", null, "keys-table " + className);
    node.appendChild(el("caption", caption, "visually-hidden"));
    var head = el("thead");
    var row = el("tr");
    headers.forEach(function (text) {
      var th = el("th", text);
      th.scope = "col";
      row.appendChild(th);
    });
    head.appendChild(row);
    node.appendChild(head);
    var body = el("tbody");
    node.appendChild(body);
    container.appendChild(node);
    return body;
  }

  function addRow(body, cells) {
    var row = el("tr");
    cells.forEach(function (cell) { row.appendChild(el("td", cell)); });
    body.appendChild(row);
  }

  var PICTURES = {
    list: function (container, view, appending) {
      var boxes = part(container, "ol", "keys-boxes", appending);
      boxes.setAttribute("aria-label", "Elements, from head (LPUSH, LPOP) to tail (RPUSH, RPOP)");
      view.items.forEach(function (pair) {
        var index = pair[0];
        var box = el("li", null, "keys-box");
        box.appendChild(el("span", String(index), "keys-index"));
        box.appendChild(el("span", pair[1], "keys-value"));
        if (index === 0) { box.appendChild(el("span", "head", "keys-end")); box.classList.add("is-head"); }
        if (index === view.size - 1) { box.appendChild(el("span", "tail", "keys-end")); box.classList.add("is-tail"); }
        boxes.appendChild(box);
      });
    },
    hash: function (container, view, appending) {
      var body = table(container, "keys-hash", ["field", "value"], "Fields and values", appending);
      view.items.forEach(function (pair) { addRow(body, pair); });
    },
    set: function (container, view, appending) {
      var chips = part(container, "ul", "keys-chips", appending);
      chips.setAttribute("aria-label", "Members (a set has no order)");
      view.items.forEach(function (member) { chips.appendChild(el("li", member, "keys-chip")); });
    },
    zset: function (container, view, appending) {
      var body = table(container, "keys-zset", ["rank", "member", "score"], "Members by rank, lowest score first", appending);
      view.items.forEach(function (row) { addRow(body, [String(row[0]), row[1], row[2]]); });
    },
    stream: function (container, view, appending) {
      var entries = part(container, "ol", "keys-entries", appending);
      entries.setAttribute("aria-label", "Entries, oldest first");
      view.items.forEach(function (entry) {
        var item = el("li", null, "keys-entry");
        item.appendChild(el("span", entry[0], "keys-entry-id"));
        var fields = el("dl", null, "keys-entry-fields");
        for (var i = 0; i + 1 < entry[1].length; i += 2) {
          fields.appendChild(el("dt", entry[1][i]));
          fields.appendChild(el("dd", entry[1][i + 1]));
        }
        item.appendChild(fields);
        entries.appendChild(item);
      });
      if (!appending && view.groups && view.groups.length) {
        var groups = el("table", null, "keys-table keys-groups");
        groups.appendChild(el("caption", "Consumer groups"));
        var head = el("tr");
        ["group", "consumers", "pending", "last delivered"].forEach(function (text) {
          var th = el("th", text);
          th.scope = "col";
          head.appendChild(th);
        });
        var thead = el("thead");
        thead.appendChild(head);
        groups.appendChild(thead);
        var body = el("tbody");
        view.groups.forEach(function (g) { addRow(body, [g.name, String(g.consumers), String(g.pending), g.last_delivered]); });
        groups.appendChild(body);
        container.appendChild(groups);
      }
    },
    string: function (container, view, appending) {
      var value = part(container, "pre", "keys-string", appending);
      value.textContent += view.value;
      if (appending || !view.hex) { return; }
      var toggle = el("button", "Show the bits", "keys-bits-toggle");
      toggle.type = "button";
      toggle.setAttribute("aria-expanded", "false");
      var bits = el("div", null, "keys-bits");
      bits.hidden = true;
      toggle.addEventListener("click", function () {
        var open = bits.hidden;
        bits.hidden = !open;
        toggle.setAttribute("aria-expanded", String(open));
        toggle.textContent = open ? "Hide the bits" : "Show the bits";
        if (open && !bits.childNodes.length) { drawBits(bits, view.hex, view.offset || 0); }
      });
      container.appendChild(toggle);
      container.appendChild(bits);
    },
    hyperloglog: function (container, view) {
      var p = el("p", null, "keys-estimate");
      p.appendChild(el("strong", "\u2248 " + view.estimate));
      p.appendChild(document.createTextNode(" distinct elements (PFCOUNT's estimate, within about 0.81%), in " + sizeText(view) + "."));
      container.appendChild(p);
    }
  };

  // A bitmap as GETBIT sees it: bit 0 is the most significant bit of the first byte.
  function drawBits(container, hex, offset) {
    var bytes = Math.min(hex.length / 2, BITS_SHOWN);
    var grid = el("ol", null, "keys-bit-bytes");
    grid.setAttribute("aria-label", "Bits, 8 per byte; a 1 is a set bit");
    for (var i = 0; i < bytes; i += 1) {
      var value = parseInt(hex.substr(i * 2, 2), 16);
      var byte = el("li", null, "keys-bit-byte");
      byte.appendChild(el("span", "bit " + ((offset + i) * 8), "keys-bit-offset"));
      var bits = "";
      for (var b = 7; b >= 0; b -= 1) { bits += (value >> b) & 1; }
      byte.appendChild(el("code", bits, "keys-bit-row"));
      grid.appendChild(byte);
    }
    container.appendChild(grid);
    if (hex.length / 2 > BITS_SHOWN) {
      container.appendChild(el("p", "The first " + BITS_SHOWN + " bytes; GETBIT and BITCOUNT read the rest.", "keys-note"));
    }
  }

  tryredis.KeysPanel = KeysPanel;
})();
