// Headers: case-insensitivity, multi-value joining, append/set/delete, getSetCookie, iteration
// order, validation; the incoming request's headers; several Set-Cookie and custom headers on the wire.
import { attempt } from "./lib.js";

function api() {
  const r = {};
  const h = new Headers({ "Content-Type": "text/plain", "X-A": "1" });
  r.getCase = [h.get("content-type"), h.get("CONTENT-TYPE"), h.get("Content-type")];
  h.append("x-a", "2");
  r.appendJoins = h.get("X-A");
  h.set("X-A", "3");
  r.setReplaces = h.get("x-a");
  h.delete("x-A");
  r.deleted = [h.has("X-A"), h.get("x-a")];
  r.missing = h.get("missing");
  r.fromPairs = [...new Headers([["a", "1"], ["b", "2"], ["A", "3"]])];
  const order = new Headers({ b: "1", A: "2", c: "3", "Set-Cookie": "x=1" });
  order.append("set-cookie", "y=2");
  order.append("a", "4");
  r.iteration = [...order];
  r.keys = [...order.keys()];
  r.values = [...order.values()];
  const seen = [];
  order.forEach((value, name, self) => seen.push([name, value, self === order]));
  r.forEach = seen;
  r.getSetCookie = order.getSetCookie();
  r.getSetCookieJoined = order.get("Set-Cookie");
  r.getSetCookieNone = new Headers().getSetCookie();
  const commas = new Headers();
  commas.append("Set-Cookie", "a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT");
  commas.append("Set-Cookie", "b=2");
  r.setCookieWithComma = commas.getSetCookie();
  r.trimmed = new Headers({ x: " \t padded value\t " }).get("x");
  r.innerWhitespaceKept = new Headers({ x: "a  \t b" }).get("x");
  r.numberValue = new Headers({ n: 1 }).get("n");
  r.copy = [...new Headers(new Headers({ Q: "1", p: "2" }))];
  r.emptyValue = new Headers({ e: "" }).get("e");
  r.invalidName = attempt(() => new Headers({ "bad name": "x" }));
  r.invalidNameColon = attempt(() => new Headers().append("a:b", "x"));
  r.emptyName = attempt(() => new Headers().append("", "x"));
  r.invalidValueNewline = attempt(() => new Headers().append("x", "a\nb"));
  r.invalidValueNul = attempt(() => new Headers().append("x", "a\0b"));
  r.nonByteString = attempt(() => new Headers().append("x", "\u0100"));
  r.latin1Value = attempt(() => new Headers({ x: "caf\u00e9" }).get("x"));
  r.badPair = attempt(() => new Headers([["a"]]));
  r.badInit = attempt(() => new Headers(42));
  r.toStringTag = Object.prototype.toString.call(new Headers());
  r.hasSetCookie = order.has("SET-COOKIE");
  const del = new Headers({ "set-cookie": "a=1" });
  del.append("set-cookie", "b=2");
  del.delete("Set-Cookie");
  r.deleteAllSetCookie = del.getSetCookie();
  return r;
}

export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/api") return Response.json(api());
    if (path === "/request") {
      return Response.json({
        iteration: [...request.headers],
        multi: request.headers.get("X-Multi"),
        caseInsensitive: request.headers.get("x-MIXED-case"),
        immutable: attempt(() => request.headers.set("x", "1")),
        deleteImmutable: attempt(() => request.headers.delete("x-multi")),
      });
    }
    if (path === "/wire") {
      const headers = new Headers({ "Content-Type": "text/plain; charset=utf-8" });
      headers.append("Set-Cookie", "session=abc; Path=/; HttpOnly");
      headers.append("Set-Cookie", "theme=dark; Max-Age=3600");
      headers.append("Set-Cookie", "c=3; Expires=Wed, 21 Oct 2015 07:28:00 GMT");
      headers.append("X-Custom", "one");
      headers.append("x-custom", "two");
      headers.set("X-Mixed-CASE", "Value With Spaces");
      headers.set("X-Empty", "");
      return new Response("headers on the wire\n", { headers });
    }
    return new Response("not found\n", { status: 404 });
  },
};
