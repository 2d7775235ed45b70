// The teacher's dashboard: one EventSource keeps the grid live; actions post without a
// reload; a student's keys and lines open in a panel. Names and replies are set as text.
(function () {
  "use strict";

  function timeAgo(iso) {
    if (!iso) { return "never"; }
    var seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 60) { return seconds + " s ago"; }
    if (seconds < 3600) { return Math.round(seconds / 60) + " min ago"; }
    return Math.round(seconds / 3600) + " h ago";
  }

  function Dashboard(root) {
    this.root = root;
    this.body = root.querySelector("[data-grid-body]");
    this.template = root.querySelector("[data-row-template]");
    this.state = root.querySelector("[data-live-state]");
    this.status = root.querySelector("[data-teach-status]");
    this.panel = root.querySelector("[data-student-panel]");
    this.studentUrl = root.querySelector("[data-student-url]").getAttribute("data-student-url");
    this.csrf = root.getAttribute("data-csrf");
    this.connect(root.getAttribute("data-events-url"));
    this.bindActions(root);
    this.bindStudents(root);
    var self = this;
    window.setInterval(function () { self.refreshTimes(); }, 10000);
    this.refreshTimes();
  }

  Dashboard.prototype.connect = function (url) {
    var self = this;
    var source = new EventSource(url);
    source.addEventListener("error", function () {
      self.state.textContent = "Reconnecting to live updates…";
      self.root.removeAttribute("data-live");
    });
    source.addEventListener("rows", function (event) {
      // The first "rows" comes once the server listens: the grid is live from here.
      self.state.textContent = "Live: the grid updates as students work.";
      self.root.setAttribute("data-live", "1");
      JSON.parse(event.data).forEach(function (row) { self.updateRow(row); });
    });
    source.addEventListener("done", function (event) {
      var done = JSON.parse(event.data);
      var row = self.body.querySelector('tr[data-student="' + CSS.escape(done.id) + '"]');
      if (row) { self.markDone(row, done.x, done.at); }
    });
    source.addEventListener("ended", function () {
      source.close();
      self.state.textContent = "This class has ended.";
    });
  };

  Dashboard.prototype.markDone = function (row, name, at) {
    var cell = row.querySelector('td[data-x="' + CSS.escape(name) + '"]');
    if (!cell || cell.classList.contains("is-done")) { return; }
    cell.classList.add("is-done");
    cell.textContent = "";
    var mark = document.createElement("span");
    mark.setAttribute("aria-label", "done");
    mark.title = at;
    mark.textContent = "✓";
    cell.appendChild(mark);
    var count = row.querySelector('[data-field="done_count"]');
    count.textContent = String(row.querySelectorAll("td.is-done").length);
  };

  Dashboard.prototype.rowFor = function (data) {
    var row = this.body.querySelector('tr[data-student="' + CSS.escape(data.id) + '"]');
    if (row) { return row; }
    row = this.template.content.firstElementChild.cloneNode(true);
    row.setAttribute("data-student", data.id);
    var link = row.querySelector("[data-student-link]");
    link.textContent = data.name;
    link.href = this.studentUrl.replace("LEARNER", data.id);
    this.bindLink(link);
    this.body.appendChild(row);
    var empty = this.root.querySelector("[data-empty-roster]");
    if (empty) { empty.hidden = true; }
    this.root.querySelector("[data-student-count]").textContent =
      "(" + this.body.querySelectorAll("tr").length + ")";
    var option = document.createElement("option");
    option.value = data.id;
    option.textContent = data.name;
    var select = this.root.querySelector("[data-student-select]");
    if (select) { select.appendChild(option); }
    return row;
  };

  Dashboard.prototype.updateRow = function (data) {
    var self = this;
    var row = this.rowFor(data);
    Object.keys(data.done).forEach(function (name) { self.markDone(row, name, data.done[name]); });
    row.querySelector('[data-field="done_count"]').textContent = String(data.done_count);
    var last = row.querySelector('[data-field="last_active"]');
    last.setAttribute("data-time", data.last_active || "");
    last.textContent = timeAgo(data.last_active);
    row.querySelector('[data-field="commands"]').textContent = String(data.commands);
    var stuck = row.querySelector('[data-field="stuck"]');
    stuck.textContent = data.stuck;
    stuck.classList.toggle("is-stuck", !!data.stuck);
  };

  Dashboard.prototype.refreshTimes = function () {
    this.body.querySelectorAll('[data-field="last_active"]').forEach(function (cell) {
      cell.textContent = timeAgo(cell.getAttribute("data-time"));
    });
  };

  Dashboard.prototype.say = function (text) {
    this.status.textContent = text;
    this.status.hidden = false;
  };

  Dashboard.prototype.post = function (form, submitter) {
    var self = this;
    var data = new URLSearchParams(new FormData(form, submitter));
    return fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": this.csrf },
      body: data
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        self.say(body.message || body.error || ("That did not work (HTTP " + response.status + ")."));
        return response.ok;
      });
    }).catch(function () { self.say("The site cannot be reached."); return false; });
  };

  Dashboard.prototype.bindActions = function (root) {
    var self = this;
    root.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.hasAttribute("data-teach-action")) { return; }
      event.preventDefault();
      var question = form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) { return; }
      self.post(form, event.submitter).then(function (ok) {
        if (ok && form.querySelector('input[name="text"]')) { form.querySelector('input[name="text"]').value = ""; }
      });
    });
  };

  Dashboard.prototype.bindLink = function (link) {
    var self = this;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      self.openStudent(link.href);
    });
  };

  Dashboard.prototype.bindStudents = function (root) {
    var self = this;
    root.querySelectorAll("[data-grid-body] [data-student-link]").forEach(function (link) { self.bindLink(link); });
    this.panel.addEventListener("click", function (event) {
      if (event.target.closest("[data-close-panel]")) { self.panel.hidden = true; }
    });
  };

  Dashboard.prototype.openStudent = function (href) {
    var self = this;
    fetch(href + "?part=1", { credentials: "same-origin" }).then(function (response) {
      return response.text().then(function (html) {
        if (!response.ok) { self.say("Could not open the student (HTTP " + response.status + ")."); return; }
        // Our own server-rendered, autoescaped fragment: names and keys arrive escaped.
        self.panel.innerHTML = html;
        var close = self.panel.querySelector("[data-close-panel]");
        if (close) { close.hidden = false; }
        self.panel.hidden = false;
        self.panel.scrollIntoView({ block: "nearest" });
      });
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-dashboard]");
    if (root) { window.tryredisDashboard = new Dashboard(root); }
  });
})();
