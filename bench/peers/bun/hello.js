// Bun peer of examples/hello: Bun.serve answering the same bytes as mar on every path.
// Usage: bun bench/peers/bun/hello.js PORT
const BODY = "hello from mar\n"; // examples/hello's body, byte for byte
Bun.serve({
  hostname: "127.0.0.1",
  port: Number(Bun.argv[2] || 8081),
  fetch() {
    return new Response(BODY, { headers: { "content-type": "text/plain;charset=UTF-8" } });
  },
});
