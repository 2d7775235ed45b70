// Code cells: Python the learner edits and runs in their own browser. Each cell gets a
// CodeMirror editor (loaded when a cell comes near the screen); one Web Worker per page
// runs Pyodide (started when the learner first focuses or runs a cell). Only the Redis
// commands the code sends leave the browser (POST /api/v1/resp, the REPL's limits).
// Output, tracebacks, commands and test results are shown as text (textContent), never
// as HTML: they are whatever the learner's code printed.
(function () {
  "use strict";

  var root = document.querySelector("[data-cells]");
  if (!root) { return; }
  var config = {
    workerUrl: root.getAttribute("data-worker-url"),
    editorUrl: root.getAttribute("data-editor-url"),
    cssUrl: root.getAttribute("data-css-url"),
    progressUrl: root.getAttribute("data-progress-url"),
    timeLimit: parseFloat(root.getAttribute("data-time-limit")) * 1000,
    start: {
      pyodideUrl: root.getAttribute("data-pyodide-url"),
      wheelUrl: root.getAttribute("data-wheel-url"),
      pycacheUrl: root.getAttribute("data-pycache-url"),
      modulesUrl: root.getAttribute("data-modules-url"),
      respUrl: root.getAttribute("data-resp-url"),
      outputLimit: parseInt(root.getAttribute("data-output-limit"), 10),
      csrf: csrfToken(),
    },
  };
  var TRACE_LIMIT = 500;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // The learner's code, per learner (the CSRF token is per learner) and per cell.
  function storageKey(cellId) {
    return "tryredis:cell:" + csrfToken().slice(0, 12) + ":" + root.getAttribute("data-lesson") + "/" + cellId;
  }
  function loadCode(cellId) {
    try { return window.localStorage.getItem(storageKey(cellId)); } catch (e) { return null; }
  }
  function saveCode(cellId, code, starter) {
    try {
      if (code === starter) { window.localStorage.removeItem(storageKey(cellId)); }
      else { window.localStorage.setItem(storageKey(cellId), code); }
    } catch (e) { /* private mode: the code lasts for this page only */ }
  }

  // ---- the Python worker: one per page, restarted after it was stopped ----
  function Runtime() {
    this.worker = null;
    this.ready = null;
    this.current = null;
  }

  Runtime.prototype.start = function () {
    var self = this;
    if (this.ready) { return this.ready; }
    var worker = new Worker(config.workerUrl, { type: "module" });
    this.worker = worker;
    this.ready = new Promise(function (resolve, reject) {
      worker.onmessage = function (event) {
        var message = event.data;
        if (message.type === "ready") {
          // Kept on the page for the curious (and bench/cells.py): how long Python took.
          root.setAttribute("data-ready", JSON.stringify(Object.assign({ ms: message.ms }, message.phases)));
          resolve(message);
          return;
        }
        if (message.type === "failed" && !self.current) { reject(new Error(message.message)); return; }
        self.dispatch(message);
      };
      worker.onerror = function (event) {
        event.preventDefault();
        var error = new Error(event.message || "the Python worker failed to start");
        if (self.current) { self.finish(null, error.message); } else { reject(error); }
      };
    });
    this.ready.catch(function () { self.reset(); });
    worker.postMessage({ type: "start", config: config.start });
    return this.ready;
  };

  Runtime.prototype.reset = function () {
    if (this.worker) { this.worker.terminate(); }
    this.worker = null;
    this.ready = null;
  };

  Runtime.prototype.dispatch = function (message) {
    var run = this.current;
    if (!run) { return; }
    if (message.type === "output") { run.handlers.output(message.stream, message.text); }
    else if (message.type === "trace") { run.handlers.trace(message.commands); }
    else if (message.type === "wait") { run.handlers.wait(message.seconds); }
    else if (message.type === "overflow") { this.stop("output"); }
    else if (message.type === "done") { this.finish(message.result, null); }
    else if (message.type === "failed") { this.finish(null, message.message); }
  };

  Runtime.prototype.finish = function (result, error, stopped) {
    var run = this.current;
    if (!run) { return; }
    this.current = null;
    window.clearTimeout(run.timer);
    run.resolve({ result: result, error: error, stopped: stopped || null });
  };

  // Stopping terminates the worker: the only way to stop a loop that never yields.
  Runtime.prototype.stop = function (reason) {
    this.reset();
    this.finish(null, null, reason);
  };

  Runtime.prototype.run = function (payload, handlers) {
    var self = this;
    return this.start().then(function () {
      return new Promise(function (resolve) {
        self.current = {
          handlers: handlers,
          resolve: resolve,
          timer: window.setTimeout(function () { self.stop("time"); }, config.timeLimit),
        };
        self.worker.postMessage(Object.assign({ type: "run" }, payload));
      });
    });
  };

  var runtime = new Runtime();
  var cells = [];
  var editorModule = null;

  function loadEditor() {
    if (!editorModule) { editorModule = import(config.editorUrl); }
    return editorModule;
  }

  // ---- one cell ----
  function Cell(node) {
    this.node = node;
    this.id = node.getAttribute("data-code-cell");
    this.starter = node.getAttribute("data-starter");
    this.tests = node.getAttribute("data-tests");
    this.exercise = this.tests !== null ? node.closest("[data-exercise]") : null;
    this.editorBox = node.querySelector("[data-cell-editor]");
    this.runButton = node.querySelector("[data-cell-run]");
    this.resetButton = node.querySelector("[data-cell-reset]");
    this.status = node.querySelector("[data-cell-status]");
    this.results = node.querySelector("[data-cell-results]");
    this.output = node.querySelector("[data-cell-output]");
    this.trace = node.querySelector("[data-cell-trace]");
    this.traceCount = node.querySelector("[data-cell-trace-count]");
    this.testList = this.exercise ? this.exercise.querySelector("[data-cell-tests]") : null;
    this.code = loadCode(this.id) || this.starter;
    this.editor = null;
    this.running = false;
    node.querySelector("[data-cell-bar]").hidden = false;
    this.bind();
  }

  Cell.prototype.bind = function () {
    var self = this;
    this.runButton.addEventListener("click", function () {
      if (self.running) { runtime.stop("asked"); } else { self.run(); }
    });
    this.resetButton.addEventListener("click", function () { self.resetCode(); });
    this.node.addEventListener("focusin", function () { runtime.start().catch(function () {}); });
  };

  Cell.prototype.mount = function () {
    var self = this;
    if (this.editor || this.mounting) { return; }
    this.mounting = true;
    loadEditor().then(function (module) {
      // In a shadow root, so that CodeMirror's styles need no inline <style> (see the bundle).
      self.editorBox.textContent = "";
      var shadow = self.editorBox.attachShadow({ mode: "open" });
      var sheet = document.createElement("link");
      sheet.rel = "stylesheet";
      sheet.href = config.cssUrl;
      shadow.appendChild(sheet);
      var mountPoint = el("div", "cell-editor-root cm-theme");  // two classes: outrank CodeMirror's theme
      shadow.appendChild(mountPoint);
      self.editor = module.createEditor(mountPoint, {
        root: shadow,
        doc: self.code,
        label: self.node.getAttribute("data-label") + ". Ctrl+Enter runs it; Escape then Tab leaves the editor.",
        onRun: function () { if (!self.running) { self.run(); } },
        onChange: function (text) {
          self.code = text;
          window.clearTimeout(self.saveTimer);
          self.saveTimer = window.setTimeout(function () { saveCode(self.id, text, self.starter); }, 300);
        },
      });
      self.node.classList.add("has-editor");
    }).catch(function () {
      self.mounting = false;
      self.say("The editor could not load; reload the page to try again.", "error");
    });
  };

  Cell.prototype.value = function () {
    return this.editor ? this.editor.value() : this.code;
  };

  Cell.prototype.resetCode = function () {
    this.code = this.starter;
    if (this.editor) { this.editor.setValue(this.starter); }
    saveCode(this.id, this.starter, this.starter);
    this.say("Back to the starter code.", "");
  };

  Cell.prototype.say = function (text, tone) {
    this.status.textContent = text;
    this.status.setAttribute("data-tone", tone || "");
  };

  Cell.prototype.clear = function () {
    this.output.textContent = "";
    this.trace.textContent = "";
    this.traceCount.textContent = "0";
    this.traced = 0;
    this.results.hidden = false;
    if (this.testList) {
      this.testList.querySelectorAll("[data-cell-test]").forEach(function (item) {
        item.removeAttribute("data-result");
        item.querySelectorAll(".cell-test-why, .cell-test-verdict").forEach(function (extra) { extra.remove(); });
      });
    }
  };

  Cell.prototype.print = function (stream, text) {
    var span = el("span", stream === "stderr" ? "cell-stderr" : "", text);
    this.output.appendChild(span);
  };

  Cell.prototype.addTrace = function (commands) {
    var self = this;
    commands.forEach(function (command) {
      self.traced += 1;
      if (self.traced <= TRACE_LIMIT) { self.trace.appendChild(el("li", "", command)); }
    });
    this.traceCount.textContent = String(this.traced);
  };

  Cell.prototype.run = function () {
    var self = this;
    var code = this.value();
    var started = Date.now();
    saveCode(this.id, code, this.starter);
    this.clear();
    this.setRunning(true);
    this.say(runtime.ready ? "Running…" : "Starting Python (the first time downloads about 10 MB)…", "busy");
    var payload = this.tests !== null ? { code: code, tests: this.tests } : { code: code };
    var booting = !runtime.ready;
    var handlers = {
      output: function (stream, text) { self.print(stream, text); },
      trace: function (commands) { self.addTrace(commands); },
      wait: function (seconds) { self.say("Waiting " + seconds.toFixed(1) + " s for your sandbox's rate limit…", "busy"); },
    };
    runtime.start().then(function (ready) {
      if (booting) { self.say("Python ready in " + (ready.ms / 1000).toFixed(1) + " s. Running…", "busy"); }
      started = Date.now();
      return runtime.run(payload, handlers);
    }).then(function (outcome) {
      self.setRunning(false);
      // After a solved exercise is recorded, so the lesson's progress line counts it.
      return Promise.resolve(self.report(outcome, (Date.now() - started) / 1000)).then(function () { ran(self); });
    }).catch(function (error) {
      self.setRunning(false);
      self.say("Python could not start: " + error.message, "error");
    });
  };

  // The REPL's panels refresh after a run: the exercises' (repl-ran) and, when the code
  // sent commands, the keys panel (tryredis:wrote, see repl.js).
  function ran(cell) {
    document.body.dispatchEvent(new CustomEvent("repl-ran", { bubbles: true, detail: { source: "cell" } }));
    if (cell.traced) {
      document.body.dispatchEvent(new CustomEvent("tryredis:wrote", { bubbles: true, detail: { source: "cell" } }));
    }
  }

  Cell.prototype.setRunning = function (running) {
    this.running = running;
    this.node.classList.toggle("is-running", running);
    this.runButton.textContent = running ? "Stop" : "Run";
    cells.forEach(function (cell) {
      if (cell !== this) { cell.runButton.disabled = running; }
    }, this);
  };

  var STOPPED = {
    time: function () {
      return "Stopped after " + (config.timeLimit / 1000) + " s: your code was still running " +
        "(an endless loop?). Python restarts on the next run; names defined by earlier cells are gone.";
    },
    output: function () {
      return "Stopped: your code printed more than " + Math.round(config.start.outputLimit / 1024) +
        " KB. Python restarts on the next run.";
    },
    asked: function () { return "Stopped. Python restarts on the next run."; },
  };

  Cell.prototype.report = function (outcome, seconds) {
    if (outcome.stopped) {
      this.print("stderr", "\n" + STOPPED[outcome.stopped]() + "\n");
      this.say(STOPPED[outcome.stopped](), "error");
      return;
    }
    if (outcome.error) {
      this.print("stderr", outcome.error + "\n");
      this.say("Python failed: " + outcome.error, "error");
      return;
    }
    var result = outcome.result;
    if (result.error) { this.print("stderr", result.error); }
    if (this.tests === null) {
      this.say(result.error ? "Your code raised an exception (see the output)." : "Done in " + seconds.toFixed(1) + " s.", result.error ? "error" : "ok");
      return;
    }
    return this.showTests(result);
  };

  Cell.prototype.showTests = function (result) {
    var list = this.testList;
    var passed = 0;
    result.tests.forEach(function (test) {
      var item = list.querySelector('[data-cell-test="' + CSS.escape(test.name) + '"]');
      if (!item) { item = el("li", "cell-test", test.name); item.setAttribute("data-cell-test", test.name); list.appendChild(item); }
      item.setAttribute("data-result", test.passed ? "pass" : "fail");
      item.insertBefore(el("span", "visually-hidden cell-test-verdict", test.passed ? "passed: " : "failed: "), item.firstChild);
      if (test.passed) { passed += 1; } else { item.appendChild(el("span", "cell-test-why", test.message)); }
    });
    if (result.error) {
      this.say("Your code raised an exception before the tests could run (see the output).", "error");
    } else if (result.passed) {
      this.say("All " + passed + " tests pass. Solved!", "ok");
      return this.record();
    } else {
      this.say(passed + " of " + result.tests.length + " tests pass.", "error");
    }
  };

  Cell.prototype.record = function () {
    var self = this;
    var body = JSON.stringify({ exercise: this.exercise.getAttribute("data-exercise") });
    return fetch(config.progressUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: body,
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      self.exercise.classList.add("is-done");
      // What the panel shows after a reload (site/_exercise_python.html), shown now.
      var status = self.exercise.querySelector(".exercise-panel .exercise-status");
      if (status) {
        status.className = "exercise-status is-done";
        status.textContent = "\u2713 Done.";
      }
      document.body.dispatchEvent(new CustomEvent("exercise-done", { bubbles: true, detail: { source: "cell" } }));
    }).catch(function () {
      self.say("All tests pass, but your progress could not be saved right now.", "error");
    });
  };

  // ---- start ----
  var nodes = document.querySelectorAll("[data-code-cell]");
  nodes.forEach(function (node) { cells.push(new Cell(node)); });
  if ("IntersectionObserver" in window) {
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          cells.filter(function (cell) { return cell.node === entry.target; }).forEach(function (cell) { cell.mount(); });
        }
      });
    }, { rootMargin: "400px 0px" });
    cells.forEach(function (cell) { observer.observe(cell.node); });
  } else {
    cells.forEach(function (cell) { cell.mount(); });
  }
})();
