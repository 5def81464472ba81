// workerd peer of bench/actors/mar's /hello and /call: /call asks the Durable Object "Echo/one"
// (in-memory storage) with a JS RPC method call, the closest thing to mar's stub.call(msg), and
// answers its reply; /callfetch does the same round trip with stub.fetch(request).
import { DurableObject } from "cloudflare:workers";

export class Echo extends DurableObject {
  message(msg) { return msg; }
  fetch() { return new Response("x"); }
}

// The path by string search, as bench/actors/mar/index.js finds it.
function pathOf(url) {
  const start = url.indexOf("/", url.indexOf("://") + 3), query = url.indexOf("?", start);
  return start < 0 ? "/" : query < 0 ? url.slice(start) : url.slice(start, query);
}

export default {
  async fetch(request, env) {
    const path = pathOf(request.url);
    if (path === "/call") return new Response(await env.ECHO.get(env.ECHO.idFromName("one")).message("x"));
    if (path === "/callfetch") return env.ECHO.get(env.ECHO.idFromName("one")).fetch(request);
    return new Response("hello");
  },
};
