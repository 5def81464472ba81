// The example `make run` serves: a Workers-style fetch handler.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/json") {
      return Response.json({ greeting: env.GREETING, path: url.pathname, method: request.method });
    }
    return new Response(`${env.GREETING} from mar\n`, { headers: { "content-type": "text/plain;charset=UTF-8" } });
  },
};
