// The Web Worker behind code cells: Pyodide (CPython compiled to WebAssembly) with the
// real redis-py. The learner's code runs here, in their browser; only the Redis commands
// it sends leave, through POST /api/v1/resp into their own sandbox (same limits as the
// REPL). The page (cells.js) terminates this worker to stop runaway code.
//
// This script is served with a policy that allows WebAssembly ('wasm-unsafe-eval');
// the pages keep theirs (tryredis/security.py).
"use strict";

let pyodide = null;
let config = null;
let written = 0;
let overflowed = false;

function send(message) {
  self.postMessage(message);
}

function retryAfter(value) {
  const seconds = parseFloat(value || "");
  return Number.isFinite(seconds) ? seconds : null;
}

const headers = () => ({
  "Content-Type": "application/x-redis-resp",
  "X-CSRF-Token": config.csrf,
});

// redis.Redis (synchronous) waits for each reply: a synchronous request, allowed in workers.
function postSync(body) {
  const request = new XMLHttpRequest();
  request.open("POST", config.respUrl, false);
  request.responseType = "arraybuffer";
  Object.entries(headers()).forEach(([name, value]) => request.setRequestHeader(name, value));
  try {
    request.send(body);
  } catch (error) {
    return { status: 0, body: new Uint8Array(0), retryAfter: null };
  }
  return {
    status: request.status,
    body: new Uint8Array(request.response || new ArrayBuffer(0)),
    retryAfter: retryAfter(request.getResponseHeader("Retry-After")),
  };
}

// redis.asyncio: fetch, so concurrent coroutines send concurrent requests.
async function postAsync(body) {
  try {
    const response = await fetch(config.respUrl, {
      method: "POST", body, headers: headers(), credentials: "same-origin",
    });
    return {
      status: response.status,
      body: new Uint8Array(await response.arrayBuffer()),
      retryAfter: retryAfter(response.headers.get("Retry-After")),
    };
  } catch (error) {
    return { status: 0, body: new Uint8Array(0), retryAfter: null };
  }
}

function emit(json) {
  send(JSON.parse(json));
}

// Output goes to the page as it is written, up to a cap; past it the page stops the run.
function writer(stream) {
  const decoder = new TextDecoder();
  return {
    write(buffer) {
      if (overflowed) { return buffer.length; }
      written += buffer.length;
      if (written > config.outputLimit) {
        overflowed = true;
        send({ type: "overflow" });
        return buffer.length;
      }
      send({ type: "output", stream, text: decoder.decode(buffer, { stream: true }) });
      return buffer.length;
    },
  };
}

async function bytesOf(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) { throw new Error(`${url}: HTTP ${response.status}`); }
  return new Uint8Array(await response.arrayBuffer());
}

async function start(settings) {
  config = settings;
  const started = performance.now();
  const phases = {};
  const mark = (name) => { phases[name] = Math.round(performance.now() - started); };
  const [{ loadPyodide }, wheel, pycache, modules] = await Promise.all([
    import(config.pyodideUrl + "pyodide.mjs"),
    bytesOf(config.wheelUrl),
    bytesOf(config.pycacheUrl),
    bytesOf(config.modulesUrl),
  ]);
  mark("fetched");
  pyodide = await loadPyodide({ indexURL: config.pyodideUrl, env: { REDIS_URL: "redis://sandbox/0" } });
  mark("interpreter");
  pyodide.setStdout(writer("stdout"));
  pyodide.setStderr(writer("stderr"));
  const site = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
  pyodide.unpackArchive(wheel, "wheel", { extractDir: site });
  // redis-py's modules compiled ahead (tools/vendor_pyodide.py): imported without compiling.
  pyodide.unpackArchive(pycache, "zip", { extractDir: site });
  pyodide.unpackArchive(modules, "zip", { extractDir: site });
  pyodide.registerJsModule("cells_js", { postSync, postAsync, emit });
  mark("unpacked");
  await pyodide.runPythonAsync("from tryredis.pycells import browser; browser.setup()");
  mark("imported");
  send({ type: "ready", ms: Math.round(performance.now() - started), phases });
}

async function run(message) {
  written = 0;
  overflowed = false;
  const browser = pyodide.pyimport("tryredis.pycells.browser");
  const call = message.tests === undefined
    ? browser.run_cell.callPromising(message.code)
    : browser.run_exercise.callPromising(message.code, message.tests);
  const result = JSON.parse(await call);
  browser.destroy();
  send({ type: "done", result });
}

self.onmessage = (event) => {
  const message = event.data;
  const task = message.type === "start" ? start(message.config) : run(message);
  task.catch((error) => send({ type: "failed", message: String(error && error.message || error) }));
};
