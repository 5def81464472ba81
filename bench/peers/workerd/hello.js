// The Workers module of the HTTP benches, the same file for mar (bench/peers/mar) and workerd
// (bench/peers/workerd): GET answers examples/hello's bytes from a constant; GET /greet?name=N (the
// URL-routing scenario) parses its URL and answers from it; POST (the JSON echo scenario) parses
// the JSON body and answers it re-serialized, as every peer's handler does.
const BODY = "hello from mar\n"; // examples/hello's body, byte for byte
export default {
  async fetch(request) {
    if (request.method === "POST") return Response.json(await request.json());
    if (request.url.includes("/greet")) {
      // The usual first line of a handler: parse the URL, then route on it.
      const url = new URL(request.url);
      return new Response(`hello ${url.searchParams.get("name")} from ${url.pathname}\n`);
    }
    return new Response(BODY, { headers: { "content-type": "text/plain;charset=UTF-8" } });
  },
};
