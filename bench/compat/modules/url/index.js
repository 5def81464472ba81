// URL and URLSearchParams: parsing (special and non-special schemes, IPv4/IPv6, IDNA hosts,
// percent-encoding), relative resolution, setters, searchParams manipulation and serialization.
import { attempt } from "./lib.js";
const PARTS = ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"];
const parts = (u) => Object.fromEntries(PARTS.map((k) => [k, u[k]]));
const parse = (input, base) => attempt(() => parts(base === undefined ? new URL(input) : new URL(input, base)));

const INPUTS = [
  "https://user:pa ss@Example.COM:443/a/./b/../c?x=1 2#frag ment",
  "http://example.com:80/",
  "http://example.com:8080",
  "HTTP://EXAMPLE.com/%7Efoo/%7e",
  "http://example.com./",
  "http://example.com/path with spaces/\u00e9?q=\u00e9#\u00e9",
  "http://example.com/a?b c'd\"e<f>",
  "  http://example.com/trim\t\n  ",
  "http:\\\\example.com\\a\\b",
  "http://ex%41mple.com/",
  "http://B\u00fccher.example/",
  "http://xn--bcher-kva.example/",
  "http://\u2603.net/",
  "https://\u00fc.example/?q=\u00fc",
  "http://\uFF21\uFF22.example/",
  "http://[::1]:8080/",
  "http://[0:0:0:0:0:0:0:1]/",
  "http://[2001:db8::ff00:42:8329]/",
  "http://0x7f.1/",
  "http://127.1/",
  "http://192.168.0.257/",
  "http://4294967296/",
  "file:///C:/path/to/file.txt",
  "file://host/share/x",
  "file:/etc/hosts",
  "ws://example.com:80/",
  "wss://example.com:443/chat",
  "ftp://example.com:21/",
  "mailto:someone@example.com",
  "data:text/plain,hello world",
  "javascript:alert(1)",
  "foo://bar/baz?q#h",
  "foo://Bar:99/",
  "blob:https://example.com/uuid",
  "http://exa mple.com/",
  "http://example.com:65536/",
  "http://",
  "not a url",
  "https://example.com/%zz",
];
const RELATIVE = [
  ["../x?y#z", "http://a.example/b/c/d"],
  ["//other.example/p", "https://a.example/q"],
  ["?q=1", "http://a.example/b?old#h"],
  ["#h2", "http://a.example/b?q#h"],
  ["", "http://a.example/b?q#h"],
  ["/abs", "http://a.example/b/c"],
  ["../../../../x", "http://a.example/b/c"],
  ["g;x", "http://a.example/b/c/d;p?q"],
  ["x", "mailto:a@b"],
  ["x", "foo://bar/baz/qux"],
];

function setters() {
  const r = {};
  const u = new URL("http://example.com/a?b#c");
  u.pathname = "/x y/\u00e9";
  r.pathname = u.href;
  u.search = "k=v w";
  r.search = u.href;
  u.hash = "h h";
  r.hash = u.href;
  u.port = "8080";
  r.port = u.href;
  u.port = "99999";
  r.portTooBig = u.href;
  u.port = "80";
  r.portDefault = u.href;
  u.hostname = "B\u00fccher.example";
  r.hostname = u.href;
  u.username = "a@b";
  u.password = "p:w";
  r.userinfo = u.href;
  u.protocol = "https";
  r.protocolSpecial = u.href;
  u.protocol = "foo";
  r.protocolToNonSpecial = u.href;
  u.search = "";
  u.hash = "";
  r.cleared = u.href;
  r.hrefInvalid = attempt(() => {
    u.href = "not a url";
    return u.href;
  });
  r.toJSON = u.toJSON();
  r.toString = String(u);
  return r;
}

function params() {
  const r = {};
  const p = new URLSearchParams("?a=1&b=2&a=3&c=%20x+y&d&=e&f==g");
  r.parsed = [...p];
  r.get = [p.get("a"), p.get("c"), p.get("d"), p.get("missing")];
  r.getAll = p.getAll("a");
  r.has = [p.has("a"), p.has("z")];
  r.hasValue = [p.has("a", "3"), p.has("a", "4")];
  r.size = p.size;
  p.append("a", "4");
  p.set("b", "new");
  p.delete("c");
  r.afterEdits = p.toString();
  p.delete("a", "3");
  r.deleteValue = p.toString();
  const s = new URLSearchParams("z=1&b=2&a=3&b=1&\u00e9=1&A=0");
  s.sort();
  r.sort = s.toString();
  r.encode = new URLSearchParams({ q: "a b&c=d/\u00e9+~*'()!\u{1F600}" }).toString();
  r.fromPairs = new URLSearchParams([["x", "1"], ["x", "2"]]).toString();
  r.badPairs = attempt(() => new URLSearchParams([["x"]]));
  r.percent = [...new URLSearchParams("a=%zz&b=%41%42&c=%E2%82%AC&d=%FF")];
  const u = new URL("https://example.com/p?x=1&y=2");
  u.searchParams.append("z", "3 4");
  r.urlReflect = u.href;
  u.searchParams.delete("x");
  u.searchParams.delete("y");
  u.searchParams.delete("z");
  r.urlEmptied = u.href;
  u.search = "?m=n";
  r.searchReflect = [...u.searchParams];
  r.sameObject = u.searchParams === u.searchParams;
  const keys = [];
  new URLSearchParams("b=1&a=2").forEach((value, key) => keys.push(key + "=" + value));
  r.forEach = keys;
  r.toStringTag = Object.prototype.toString.call(p);
  return r;
}

export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/parse") return Response.json(Object.fromEntries(INPUTS.map((input) => [input, parse(input)])));
    if (path === "/relative") {
      return Response.json(Object.fromEntries(RELATIVE.map(([input, base]) => [`${input} against ${base}`, parse(input, base)])));
    }
    if (path === "/setters") return Response.json(setters());
    if (path === "/params") return Response.json(params());
    if (path === "/static") {
      return Response.json({
        canParse: [URL.canParse("https://a.example/"), URL.canParse("nope"), URL.canParse("x", "https://a.example/")],
        parse: typeof URL.parse === "function" ? [URL.parse("nope"), URL.parse("/x", "https://a.example/")?.href] : "absent",
        noArgs: attempt(() => new URL()),
        baseInvalid: attempt(() => new URL("x", "not a base")),
      });
    }
    if (path.startsWith("/request-url")) {
      const u = new URL(request.url);
      return Response.json({ requestUrl: request.url, ...parts(u), query: [...u.searchParams] });
    }
    return new Response("not found\n", { status: 404 });
  },
};
