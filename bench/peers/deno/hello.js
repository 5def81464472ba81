// Deno peer of examples/hello: Deno.serve answering the same bytes as mar on every path.
// Usage: deno run --allow-net bench/peers/deno/hello.js PORT
const BODY = "hello from mar\n"; // examples/hello's body, byte for byte
const port = Number(Deno.args[0] || 8081);
Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, () =>
  new Response(BODY, { headers: { "content-type": "text/plain;charset=UTF-8" } }));
