// mar's side of the HTTP bench: the same bytes as every peer's hello, from a constant, as theirs.
const BODY = "hello from mar\n";
export default {
  fetch() {
    return new Response(BODY, { headers: { "content-type": "text/plain;charset=UTF-8" } });
  },
};
