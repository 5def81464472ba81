// An actor-free "HTTP -> handler" module: routes by string search on request.url (as the benches'
// handlers do, no URL parsing), answers text, JSON, 404 and 405, echoes what it was sent.
function pathOf(url) {
  const start = url.indexOf("/", url.indexOf("://") + 3), query = url.indexOf("?", start);
  return start < 0 ? "/" : query < 0 ? url.slice(start) : url.slice(start, query);
}

export default {
  async fetch(request, env, ctx) {
    const path = pathOf(request.url);
    if (path === "/" || path === "/hello") return new Response("hello");
    if (path === "/info") {
      return Response.json({
        method: request.method,
        url: request.url,
        path,
        headers: [...request.headers],
        hasBody: request.body !== null,
        bodyUsed: request.bodyUsed,
        envIsObject: typeof env === "object" && env !== null,
        waitUntil: typeof ctx.waitUntil,
      });
    }
    if (path === "/submit") {
      if (request.method !== "POST") {
        return new Response("method not allowed\n", { status: 405, headers: { allow: "POST" } });
      }
      const text = await request.text();
      ctx.waitUntil(Promise.resolve(text.length));
      return new Response(`got ${text.length} chars: ${text}\n`, {
        status: 201,
        headers: { "content-type": "text/plain; charset=utf-8", "x-handler": "submit" },
      });
    }
    if (path === "/teapot") return new Response("short and stout\n", { status: 418, statusText: "I'm a teapot" });
    return new Response(`no route for ${request.method} ${path}\n`, { status: 404 });
  },
};
