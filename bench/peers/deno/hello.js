// Deno peer of the HTTP benches (bench/peers/mar/hello.js): Deno.serve, the same handler.
// Usage: deno run --allow-net bench/peers/deno/hello.js PORT
const BODY = "hello from mar\n"; // examples/hello's body, byte for byte
const port = Number(Deno.args[0] || 8081);
Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (request) => {
  if (request.method === "POST") return Response.json(await request.json());
  if (request.url.includes("/greet")) {
    const url = new URL(request.url);
    return new Response(`hello ${url.searchParams.get("name")} from ${url.pathname}\n`);
  }
  return new Response(BODY, { headers: { "content-type": "text/plain;charset=UTF-8" } });
});
