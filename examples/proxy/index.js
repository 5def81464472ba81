// A reverse proxy: forwards every request to env.UPSTREAM and streams the answer back, body
// included, without buffering it. Only hosts in capabilities.fetch.allow can be reached; a
// loopback upstream has to be named by its IP ("127.0.0.1:8081"), as mar refuses private and
// loopback addresses otherwise (SSRF protection). Try, with any server on 127.0.0.1:8081:
//   mar run examples/proxy --listen 127.0.0.1:8080 & python3 -m http.server 8081 --bind 127.0.0.1
//   curl -s localhost:8080/
export default {
  async fetch(request, env) {
    const incoming = new URL(request.url);
    const target = new URL(incoming.pathname + incoming.search, env.UPSTREAM);
    const headers = new Headers(request.headers);
    headers.delete("host");
    headers.set("x-forwarded-host", incoming.host);
    let upstream;
    try {
      upstream = await fetch(target, {
        method: request.method,
        headers,
        body: request.body,  // streamed: an upload is not held in memory either
        redirect: "manual",  // the client sees the upstream's redirects as they are
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      console.warn(`upstream ${target.origin} failed: ${error.message}`);
      return new Response(`bad gateway: ${error.message}\n`, { status: 502 });
    }
    const response = new Response(upstream.body, upstream);
    response.headers.set("via", "1.1 mar");
    return response;
  },
};
