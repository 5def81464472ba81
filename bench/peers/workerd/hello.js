// workerd peer of examples/hello: a Workers module answering the same bytes as mar on every path.
const BODY = "hello from mar\n"; // examples/hello's body, byte for byte
export default {
  fetch() {
    return new Response(BODY, { headers: { "content-type": "text/plain;charset=UTF-8" } });
  },
};
