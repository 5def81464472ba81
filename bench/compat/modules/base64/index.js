// atob and btoa: forgiving-base64 decoding (whitespace, missing padding), Latin-1 only encoding,
// InvalidCharacterError for what the HTML standard refuses.
import { attempt } from "./lib.js";
const codes = (s) => [...s].map((c) => c.charCodeAt(0));

export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/btoa") {
      return Response.json({
        hello: btoa("hello"),
        empty: btoa(""),
        padding: ["a", "ab", "abc", "abcd"].map((s) => btoa(s)),
        latin1: btoa("\u00e9\u00ff\u0000\u0080"),
        allBytes: btoa(String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))),
        nonLatin1: attempt(() => btoa("\u20ac")),
        surrogate: attempt(() => btoa("\u{1F600}")),
        number: btoa(123),
        nullArg: btoa(null),
        undefinedArg: btoa(undefined),
        noArg: attempt(() => btoa()),
      });
    }
    if (path === "/atob") {
      return Response.json({
        hello: atob("aGVsbG8="),
        unpadded: atob("aGVsbG8"),
        whitespace: atob(" aGVs\tbG8=\n\f\r"),
        empty: atob(""),
        latin1: codes(atob("6f8AgA==")),
        allBytes: codes(atob("AAECAwQFBgcICQoLDA0ODw==")),
        badChar: attempt(() => atob("aGVsbG8*")),
        badLength: attempt(() => atob("aGVsb")),
        badPadding: attempt(() => atob("aGVsbG8==")),
        innerPadding: attempt(() => atob("aG=VsbG8")),
        urlSafe: attempt(() => atob("-_-_")),
        nonzeroTrailingBits: attempt(() => atob("YR==")),
        nullArg: attempt(() => codes(atob(null))),
        undefinedArg: attempt(() => atob(undefined)),
        nonLatin1Input: attempt(() => atob("\u20ac")),
        noArg: attempt(() => atob()),
      });
    }
    if (path === "/decode") {
      const text = await request.text();
      const decoded = attempt(() => atob(text));
      return new Response(typeof decoded === "string" ? decoded : JSON.stringify(decoded), {
        headers: { "content-type": "text/plain; charset=iso-8859-1" },
      });
    }
    return new Response("not found\n", { status: 404 });
  },
};
