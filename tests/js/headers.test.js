// Headers (src/api/js/30_headers.js): Fetch Standard semantics on a server (no forbidden names).
import { assert, assertEquals, assertThrows } from "./assert.js";

export const tests = {
  "constructs from a record, a sequence of pairs, a Map and another Headers": () => {
    assertEquals([...new Headers({ "X-B": "2", "x-a": "1" })], [["x-a", "1"], ["x-b", "2"]]);
    assertEquals([...new Headers([["X-B", "2"], ["x-a", "1"], ["x-b", "3"]])], [["x-a", "1"], ["x-b", "2, 3"]]);
    assertEquals([...new Headers(new Map([["a", "1"]]))], [["a", "1"]]);
    const original = new Headers([["set-cookie", "a=1"], ["set-cookie", "b=2"], ["x", "y"]]);
    const copy = new Headers(original);
    assertEquals([...copy], [["set-cookie", "a=1"], ["set-cookie", "b=2"], ["x", "y"]]);
    original.set("x", "changed");
    assertEquals(copy.get("x"), "y", "a copy does not follow the original");
    assertEquals([...new Headers()], []);
    assertEquals([...new Headers(undefined)], []);
  },

  "constructs from any iterable of iterable pairs": () => {
    function* pairs() {
      yield ["a", "1"];
      yield new Set(["b", "2"]);
    }
    assertEquals([...new Headers(pairs())], [["a", "1"], ["b", "2"]]);
  },

  "rejects init values that are neither records nor sequences": () => {
    assertThrows(() => new Headers(null), TypeError);
    assertThrows(() => new Headers("a: b"), TypeError);
    assertThrows(() => new Headers(42), TypeError);
    assertThrows(() => new Headers({ [Symbol.iterator]: 1 }), TypeError, "Symbol.iterator");
  },

  "rejects pairs that do not have exactly two items": () => {
    assertThrows(() => new Headers([["a"]]), TypeError, "exactly two items");
    assertThrows(() => new Headers([["a", "1", "2"]]), TypeError, "got 3");
    assertThrows(() => new Headers([["a", "1"], []]), TypeError, "index 1");
    assertThrows(() => new Headers(["ab"]), TypeError, "index 0");
    assertThrows(() => new Headers([null]), TypeError);
  },

  "record keys: only own enumerable ones, Symbols rejected": () => {
    const record = Object.create({ inherited: "no" });
    record.own = "yes";
    Object.defineProperty(record, "hidden", { value: "no", enumerable: false });
    assertEquals([...new Headers(record)], [["own", "yes"]]);
    assertThrows(() => new Headers({ [Symbol("s")]: "v" }), TypeError);
  },

  "names must be HTTP tokens": () => {
    for (const bad of ["", "a b", "a:b", "a\tb", "é", "a\nb", "(x)", "a/b", "a@b", "\u0100"]) {
      const error = assertThrows(() => new Headers().append(bad, "v"), TypeError, "Invalid header name");
      assert(error.message.includes(JSON.stringify(bad)), `the message names ${JSON.stringify(bad)}: ${error.message}`);
    }
    const headers = new Headers();
    headers.append("!#$%&'*+-.^_`|~09AZaz", "v");
    assertEquals(headers.get("!#$%&'*+-.^_`|~09azaz"), "v");
    assertThrows(() => headers.get("a b"), TypeError, "Invalid header name");
    assertThrows(() => headers.has(""), TypeError, "Invalid header name");
    assertThrows(() => headers.delete("a:"), TypeError, "Invalid header name");
    assertThrows(() => headers.set("x y", "1"), TypeError, "Invalid header name");
  },

  "values are normalized: leading and trailing HTTP whitespace stripped": () => {
    const headers = new Headers();
    headers.append("a", " \t value with  inner\tspace \r\n");
    assertEquals(headers.get("a"), "value with  inner\tspace");
    headers.set("b", "\n\r\t ");
    assertEquals(headers.get("b"), "");
    headers.set("c", "");
    assertEquals(headers.get("c"), "");
    headers.set("d", "\x01\x7f\xff");
    assertEquals(headers.get("d"), "\x01\x7f\xff", "other controls and Latin-1 are allowed by Fetch");
  },

  "values with NUL, CR or LF inside, or beyond Latin-1, are rejected": () => {
    assertThrows(() => new Headers({ a: "x\ny" }), TypeError, "Invalid value for header \"a\"");
    assertThrows(() => new Headers({ a: "x\ry" }), TypeError, "Invalid value");
    assertThrows(() => new Headers({ a: "x\0y" }), TypeError, "Invalid value");
    assertThrows(() => new Headers().set("a", "x\r\ny"), TypeError, "Invalid value");
    assertThrows(() => new Headers().append("a", "€"), TypeError, "ByteString");
  },

  "values are converted with ToString": () => {
    const headers = new Headers();
    headers.set("n", 12);
    headers.set("u", undefined);
    headers.set("z", null);
    headers.set("o", { toString: () => "custom" });
    assertEquals([...headers], [["n", "12"], ["o", "custom"], ["u", "undefined"], ["z", "null"]]);
    assertThrows(() => headers.set("s", Symbol("x")), TypeError);
  },

  "lookups are case-insensitive": () => {
    const headers = new Headers({ "Content-Type": "text/html" });
    assertEquals(headers.get("content-type"), "text/html");
    assertEquals(headers.get("CONTENT-TYPE"), "text/html");
    assert(headers.has("cOnTeNt-TyPe"));
    assertEquals(headers.get("missing"), null);
    assertEquals(headers.has("missing"), false);
    headers.delete("CONTENT-type");
    assertEquals(headers.has("content-type"), false);
  },

  "append combines values with a comma and a space": () => {
    const headers = new Headers();
    headers.append("Accept", "text/html");
    headers.append("accept", "application/json");
    headers.append("ACCEPT", "");
    assertEquals(headers.get("accept"), "text/html, application/json, ");
  },

  "set replaces every value of the name": () => {
    const headers = new Headers([["a", "1"], ["b", "2"], ["A", "3"]]);
    headers.set("a", "4");
    assertEquals(headers.get("a"), "4");
    assertEquals([...headers], [["a", "4"], ["b", "2"]]);
    headers.set("c", "5");
    assertEquals(headers.get("c"), "5");
  },

  "delete removes every value of the name, absent names are fine": () => {
    const headers = new Headers([["a", "1"], ["b", "2"], ["A", "3"]]);
    headers.delete("a");
    headers.delete("never-there");
    assertEquals([...headers], [["b", "2"]]);
  },

  "iteration is sorted by lower-case name and combines values": () => {
    const headers = new Headers();
    headers.append("Zeta", "last");
    headers.append("alpha", "1");
    headers.append("Beta", "b");
    headers.append("ALPHA", "2");
    headers.append("a-b", "dash");
    assertEquals([...headers], [["a-b", "dash"], ["alpha", "1, 2"], ["beta", "b"], ["zeta", "last"]]);
    assertEquals([...headers.keys()], ["a-b", "alpha", "beta", "zeta"]);
    assertEquals([...headers.values()], ["dash", "1, 2", "b", "last"]);
    assertEquals([...headers.entries()], [...headers]);
  },

  "set-cookie is listed once per value and kept apart": () => {
    const headers = new Headers();
    headers.append("Set-Cookie", "a=1; Path=/");
    headers.append("x-other", "o");
    headers.append("set-cookie", "b=2, with comma");
    headers.append("Content-Type", "text/plain");
    assertEquals([...headers], [
      ["content-type", "text/plain"],
      ["set-cookie", "a=1; Path=/"],
      ["set-cookie", "b=2, with comma"],
      ["x-other", "o"],
    ]);
    assertEquals(headers.get("set-cookie"), "a=1; Path=/, b=2, with comma");
    assertEquals(headers.getSetCookie(), ["a=1; Path=/", "b=2, with comma"]);
    assertEquals(new Headers({ a: "b" }).getSetCookie(), []);
    headers.set("set-cookie", "c=3");
    assertEquals(headers.getSetCookie(), ["c=3"]);
  },

  "forEach passes value, name and the headers, with thisArg": () => {
    const headers = new Headers([["b", "2"], ["a", "1"], ["B", "3"]]);
    const seen = [];
    const self = {};
    headers.forEach(function (value, name, object) {
      seen.push([name, value, object === headers, this === self]);
    }, self);
    assertEquals(seen, [["a", "1", true, true], ["b", "2, 3", true, true]]);
    assertThrows(() => headers.forEach(), TypeError);
    assertThrows(() => headers.forEach("not a function"), TypeError);
  },

  "iterators see changes made while iterating": () => {
    const headers = new Headers([["a", "1"], ["b", "2"], ["c", "3"]]);
    const names = [];
    for (const [name] of headers) {
      names.push(name);
      if (name === "a") headers.delete("b");
    }
    assertEquals(names, ["a", "c"]);
    const iterator = headers.keys();
    assertEquals(iterator.next(), { value: "a", done: false });
    headers.append("0-first", "x");
    assertEquals(iterator.next(), { value: "a", done: false }, "the sorted list moved under the iterator");
    assertEquals(iterator.next(), { value: "c", done: false });
    assertEquals(iterator.next(), { value: undefined, done: true });
    assertEquals(iterator.next(), { value: undefined, done: true });
  },

  "iterators look like WebIDL pair iterators": () => {
    const headers = new Headers({ a: "1" });
    assertEquals(Headers.prototype[Symbol.iterator], Headers.prototype.entries);
    const iterator = headers.entries();
    assertEquals(Object.prototype.toString.call(iterator), "[object Headers Iterator]");
    assertEquals(iterator[Symbol.iterator](), iterator);
    const arrayIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
    assertEquals(Object.getPrototypeOf(Object.getPrototypeOf(iterator)), arrayIteratorPrototype);
    assertEquals(Object.hasOwn(Object.getPrototypeOf(iterator), "constructor"), false);
    assertThrows(() => Object.getPrototypeOf(iterator).next.call({}), TypeError);
  },

  "immutable headers throw on every change and still read": () => {
    const headers = Response.error().headers;
    assertThrows(() => headers.append("a", "1"), TypeError, "Headers are immutable");
    assertThrows(() => headers.set("a", "1"), TypeError, "Headers are immutable");
    assertThrows(() => headers.delete("a"), TypeError, "Headers are immutable");
    const redirect = Response.redirect("https://example.com/next", 301).headers;
    assertThrows(() => redirect.set("location", "https://evil.example/"), TypeError, "Headers are immutable");
    assertEquals(redirect.get("Location"), "https://example.com/next");
    assertEquals([...redirect], [["location", "https://example.com/next"]]);
    assertThrows(() => redirect.set("bad name", "1"), TypeError, "Invalid header name");
    const copy = new Headers(redirect);
    copy.set("x", "1");
    assertEquals(copy.get("x"), "1", "a copy of immutable headers is mutable");
  },

  "no forbidden header names on a server runtime": () => {
    const headers = new Headers({ Host: "example.com", Cookie: "a=1", "Content-Length": "5", Connection: "close" });
    assertEquals(headers.get("host"), "example.com");
    assertEquals(headers.get("cookie"), "a=1");
    assertEquals(headers.get("content-length"), "5");
    const request = new Request("https://example.com/", { headers: { "set-cookie": "x", host: "other.example" } });
    assertEquals(request.headers.get("host"), "other.example");
  },

  "methods require their arguments": () => {
    const headers = new Headers();
    assertThrows(() => headers.append("a"), TypeError, "2 arguments required");
    assertThrows(() => headers.set("a"), TypeError, "2 arguments required");
    assertThrows(() => headers.get(), TypeError, "1 argument required");
    assertThrows(() => headers.has(), TypeError, "1 argument required");
    assertThrows(() => headers.delete(), TypeError, "1 argument required");
  },

  "methods check their receiver; the class is branded": () => {
    assertThrows(() => Headers.prototype.get.call({}, "a"), TypeError);
    assertThrows(() => Headers.prototype.append.call(new Map(), "a", "b"), TypeError);
    assertThrows(() => Headers(), TypeError);
    assertEquals(Object.prototype.toString.call(new Headers()), "[object Headers]");
    assertEquals(typeof Headers, "function");
    assertEquals(Object.getOwnPropertyDescriptor(globalThis, "Headers").enumerable, false);
    assertEquals(Object.keys(new Headers({ a: "b" })), [], "no own enumerable properties leak");
    assertEquals(Object.getOwnPropertyNames(new Headers({ a: "b" })), []);
  },

  "subclasses work": () => {
    class Named extends Headers {
      names() { return [...this.keys()]; }
    }
    const headers = new Named({ b: "1", a: "2" });
    assertEquals(headers.names(), ["a", "b"]);
    assert(headers instanceof Headers);
  },
};
