// The Workers module of the HTTP benches, the same file for mar (bench/peers/mar) and workerd
// (bench/peers/workerd): GET answers examples/hello's bytes from a constant; POST (the JSON echo
// scenario) parses the JSON body and answers it re-serialized, as every peer's handler does.
const BODY = "hello from mar\n"; // examples/hello's body, byte for byte
export default {
  async fetch(request) {
    if (request.method === "POST") return Response.json(await request.json());
    return new Response(BODY, { headers: { "content-type": "text/plain;charset=UTF-8" } });
  },
};
