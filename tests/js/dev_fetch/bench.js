#!/usr/bin/env node
// Dev-only micro-benchmark of the hot paths the HTTP server takes through the fetch built-ins —
// an incoming request (newIncomingRequest, method/url/headers.get) and the response
// (new Response(text) or Response.json, then responseParts) — in the engine's V8 10.2 shell
// (see run.js --v8). Node's vm contexts are no good for this: their global object goes through
// interceptors, which makes every global lookup (Object, Symbol, ...) several times slower.
//   node tests/js/dev_fetch/bench.js
"use strict";
const { v8Script, runScriptInV8 } = require("./run.js");

const cases = {
  "newIncomingRequest + method/url": `
    const r = internal.newIncomingRequest("GET", "http://127.0.0.1:8080/hello", ["host", "127.0.0.1:8080", "user-agent", "wrk", "accept", "*/*"], null);
    sink = r.method.length + r.url.length;`,
  "newIncomingRequest + headers.get": `
    const r = internal.newIncomingRequest("GET", "http://127.0.0.1:8080/hello", ["Host", "127.0.0.1:8080", "User-Agent", "wrk", "Accept", "*/*"], null);
    sink = r.headers.get("user-agent");`,
  "new Response(text) + responseParts": `sink = internal.responseParts(new Response("Hello, world!"));`,
  "Response.json + responseParts": `sink = internal.responseParts(Response.json({ ok: true, n: 1 }));`,
  "new Response(text, {status, headers}) + responseParts": `
    sink = internal.responseParts(new Response("hi", { status: 201, headers: { "x-a": "1", "cache-control": "no-store" } }));`,
  "new Headers(record of 2)": `sink = new Headers({ "x-a": "1", "cache-control": "no-store" });`,
  "new Response(1 MiB string) + responseParts": `sink = internal.responseParts(new Response(big));`,
};
let body = `const internal = globalThis.__internal;\nconst big = "x".repeat(1 << 20);\n`;
for (const [name, code] of Object.entries(cases)) {
  body += `{
  const run = (n) => { let sink; for (let i = 0; i < n; i++) { ${code} } return sink; };
  run(100000);
  const n = 1000000, start = Date.now();
  run(n);
  print(${JSON.stringify(name.padEnd(56))} + String(Math.round((Date.now() - start) * 1e6 / n)).padStart(6) + " ns/op");
}\n`;
}
process.exitCode = runScriptInV8(v8Script(body));
