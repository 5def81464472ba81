// /text?kind=K answers a string body (UTF-8 on the wire); anything else echoes x-value.
const kTexts = {
  latin1: () => "caf\u00e9 ".repeat(1000),                       // one-byte string, 2-byte UTF-8
  mixed: () => "h\u00e9llo \u2713 \u{1F600} \ud800! ".repeat(1000), // two-byte, with a lone surrogate
  large: () => "\u00e9\u2713".repeat(600_000),                     // over the one-pass bound
};
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/text") return new Response(kTexts[url.searchParams.get("kind")]());
    const value = request.headers.get("x-value") ?? "";
    return new Response(String(value.charCodeAt(value.length - 1)), { headers: { "x-echo": value } });
  },
};
