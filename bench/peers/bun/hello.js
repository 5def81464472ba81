// Bun peer of the HTTP benches (bench/peers/mar/hello.js): Bun.serve, the same handler.
// Usage: bun bench/peers/bun/hello.js PORT
const BODY = "hello from mar\n"; // examples/hello's body, byte for byte
Bun.serve({
  hostname: "127.0.0.1",
  port: Number(Bun.argv[2] || 8081),
  async fetch(request) {
    if (request.method === "POST") return Response.json(await request.json());
    if (request.url.includes("/greet")) {
      // The usual first line of a handler: parse the URL, then route on it.
      const url = new URL(request.url);
      return new Response(`hello ${url.searchParams.get("name")} from ${url.pathname}\n`);
    }
    return new Response(BODY, { headers: { "content-type": "text/plain;charset=UTF-8" } });
  },
});
