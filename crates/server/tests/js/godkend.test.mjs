// Tests of the relying parties' snippet godkend.js (crates/server/assets), run with
// `node --test` by crates/server/tests/api/snippet.rs against the copy the real server
// serves at /godkend.js (GODKEND_JS names it). Real HTTP listeners on loopback stand
// in for the app; Node's fetch does no CORS, so a listener's status is what counts
// here (the browser's CORS behaviour is the browser test's part).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const path = process.env.GODKEND_JS ||
  fileURLToPath(new URL("../../assets/godkend.js", import.meta.url));
const source = readFileSync(path, "utf8");

// Loads the snippet into a fresh context that has what a page has for it (fetch,
// timers) and a `location`, `document` and `localStorage` that fail the test when
// read: the snippet must take the request id only from its caller.
function load() {
  const touched = [];
  const trap = (name) => new Proxy({}, { get(_, key) { touched.push(`${name}.${String(key)}`); return undefined; } });
  const context = {
    fetch, AbortController, setTimeout, clearTimeout, Promise, Array, Object, RegExp,
    location: trap("location"), document: trap("document"), localStorage: trap("localStorage"),
  };
  context.window = context;
  vm.createContext(context);
  vm.runInContext(source, context, { filename: "godkend.js" });
  return { Godkend: context.Godkend, touched };
}

// A loopback listener answering every request with `status` (or never, when `hang`),
// recording what it got.
async function listener({ status = 200, hang = false } = {}) {
  const seen = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (hang) return;
      res.writeHead(status, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { port: server.address().port, seen, close: () => { server.closeAllConnections(); server.close(); } };
}

// A loopback port with nothing listening on it.
async function closedPort() {
  const l = await listener();
  l.close();
  return l.port;
}

const ID = "req_Ab3-_x9QzT0pLmN4kR7sVw";

test("the default ports are 47470, 47471, 47472", () => {
  const { Godkend } = load();
  assert.deepEqual([...Godkend.ports], [47470, 47471, 47472]);
  assert.ok(Object.isFrozen(Godkend));
});

test("hands the id off as a CORS-simple text/plain POST to /v1/handoff", async () => {
  const app = await listener();
  try {
    const { Godkend, touched } = load();
    const result = await Godkend.handOff(ID, { ports: [app.port] });
    assert.equal(result.handedOff, true);
    assert.equal(result.port, app.port);
    assert.equal(app.seen.length, 1);
    const [call] = app.seen;
    assert.equal(call.method, "POST");
    assert.equal(call.url, "/v1/handoff");
    assert.equal(call.body, ID);
    assert.match(call.headers["content-type"], /^text\/plain(;|$)/);
    // Nothing that would make the browser send a preflight.
    for (const h of ["authorization", "x-requested-with", "x-godkend"]) {
      assert.equal(call.headers[h], undefined, h);
    }
    assert.deepEqual(touched, []);
  } finally {
    app.close();
  }
});

test("finds the app when other ports are closed or refuse", async () => {
  const closed = await closedPort();
  const refusing = await listener({ status: 403 });
  const app = await listener();
  try {
    const { Godkend } = load();
    const result = await Godkend.handOff(ID, { ports: [closed, refusing.port, app.port] });
    assert.deepEqual({ ...result }, { handedOff: true, port: app.port });
    assert.equal(refusing.seen.length, 1);
    assert.equal(app.seen.length, 1);
  } finally {
    refusing.close();
    app.close();
  }
});

test("every port gets the id: a squatter that accepts cannot hide the app", async () => {
  const squatter = await listener();
  const app = await listener();
  try {
    const { Godkend } = load();
    const result = await Godkend.handOff(ID, { ports: [squatter.port, app.port] });
    // The first port in the list's order that accepted is the one reported.
    assert.deepEqual({ ...result }, { handedOff: true, port: squatter.port });
    assert.equal(squatter.seen.length, 1);
    assert.equal(app.seen.length, 1);
    assert.equal(app.seen[0].body, ID);
  } finally {
    squatter.close();
    app.close();
  }
});

test("without the app it resolves quietly, never rejects", async () => {
  const a = await closedPort();
  const b = await closedPort();
  const { Godkend } = load();
  const result = await Godkend.handOff(ID, { ports: [a, b] });
  assert.deepEqual({ ...result }, { handedOff: false, port: null });
});

test("a port that never answers is given up after the timeout", async () => {
  const stuck = await listener({ hang: true });
  const app = await listener();
  try {
    const { Godkend } = load();
    const started = Date.now();
    const result = await Godkend.handOff(ID, { ports: [stuck.port, app.port], timeoutMs: 300 });
    assert.equal(result.port, app.port);
    assert.equal(stuck.seen.length, 1);
    assert.ok(Date.now() - started < 3000, "waited too long");
  } finally {
    stuck.close();
    app.close();
  }
});

test("anything that is not a request id is sent nowhere", async () => {
  const app = await listener();
  try {
    const { Godkend } = load();
    for (const bad of [undefined, null, 42, "", "req_1 2", "https://evil.example/?req_1",
      "req_1\n", "a".repeat(129), { toString: () => ID }]) {
      const result = await Godkend.handOff(bad, { ports: [app.port] });
      assert.equal(result.handedOff, false, String(bad));
    }
    assert.equal(app.seen.length, 0);
  } finally {
    app.close();
  }
});
