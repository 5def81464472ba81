// Response and the Body mixin (src/api/js/31_body.js, 33_response.js).
import { assert, assertEquals, assertThrows, assertRejects } from "./assert.js";

export const tests = {
  "defaults of new Response()": () => {
    const response = new Response();
    assertEquals(response.status, 200);
    assertEquals(response.ok, true);
    assertEquals(response.statusText, "");
    assertEquals(response.type, "default");
    assertEquals(response.url, "");
    assertEquals(response.redirected, false);
    assertEquals(response.body, null);
    assertEquals(response.bodyUsed, false);
    assertEquals([...response.headers], []);
    assertEquals(Object.prototype.toString.call(response), "[object Response]");
    assertEquals(new Response(null).body, null);
    assertEquals(new Response(undefined, undefined).status, 200);
  },

  "a string body has a text/plain content type": async () => {
    const response = new Response("hi there");
    assertEquals(response.headers.get("content-type"), "text/plain;charset=UTF-8");
    assertEquals([...response.headers], [["content-type", "text/plain;charset=UTF-8"]]);
    assertEquals(await response.text(), "hi there");
    assertEquals(response.bodyUsed, true);
  },

  "the content type can be replaced before or after construction": async () => {
    const given = new Response("<p>", { headers: { "Content-Type": "text/html" } });
    assertEquals([...given.headers], [["content-type", "text/html"]]);
    const later = new Response("x");
    later.headers.set("content-type", "text/css");
    later.headers.append("x-extra", "1");
    assertEquals([...later.headers], [["content-type", "text/css"], ["x-extra", "1"]]);
    assertEquals(later.headers, later.headers, "the same Headers object every time");
    const removed = new Response("x");
    removed.headers.delete("content-type");
    assertEquals(removed.headers.has("content-type"), false);
    assertEquals(await removed.text(), "x");
  },

  "status must be 200 to 599": () => {
    for (const status of [0, 100, 101, 199, 600, 999, -1]) {
      assertThrows(() => new Response(null, { status }), RangeError, "200 to 599");
    }
    assertEquals(new Response(null, { status: 200 }).status, 200);
    assertEquals(new Response(null, { status: 599 }).status, 599);
    assertEquals(new Response(null, { status: "201" }).status, 201);
    assertEquals(new Response(null, { status: 404.9 }).status, 404);
    assertEquals(new Response(null, { status: 65536 + 201 }).status, 201, "WebIDL unsigned short wraps");
    assertThrows(() => new Response(null, { status: NaN }), RangeError, "got 0");
    assertThrows(() => new Response(null, { status: 1n }), TypeError);
  },

  "ok is true only for 2xx": () => {
    assertEquals(new Response(null, { status: 299 }).ok, true);
    assertEquals(new Response(null, { status: 300 }).ok, false);
    assertEquals(new Response(null, { status: 404 }).ok, false);
    assertEquals(new Response(null, { status: 500 }).ok, false);
  },

  "statusText must be a reason phrase": () => {
    assertEquals(new Response(null, { statusText: "Not\tFound \xe9" }).statusText, "Not\tFound \xe9");
    assertThrows(() => new Response(null, { statusText: "a\nb" }), TypeError, "statusText");
    assertThrows(() => new Response(null, { statusText: "a\rb" }), TypeError, "statusText");
    assertThrows(() => new Response(null, { statusText: "\x00" }), TypeError, "statusText");
    assertThrows(() => new Response(null, { statusText: "\x7f" }), TypeError, "statusText");
    assertThrows(() => new Response(null, { statusText: "€" }), TypeError, "ByteString");
  },

  "null body statuses cannot have a body": () => {
    for (const status of [204, 205, 304]) {
      assertThrows(() => new Response("", { status }), TypeError, `status ${status} cannot have a body`);
      assertEquals(new Response(null, { status }).status, status);
    }
    assertEquals(new Response("", { status: 206 }).status, 206);
  },

  "init can be another Response": async () => {
    const original = new Response("old", { status: 404, statusText: "Gone Away", headers: { "x-a": "1" } });
    const copy = new Response("new", original);
    assertEquals(copy.status, 404);
    assertEquals(copy.statusText, "Gone Away");
    assertEquals([...copy.headers], [["content-type", "text/plain;charset=UTF-8"], ["x-a", "1"]]);
    assertEquals(await copy.text(), "new");
    assertEquals(original.bodyUsed, false);
  },

  "init must be an object; Workers' webSocket is not supported": () => {
    assertThrows(() => new Response("x", 200), TypeError, "init must be an object");
    assertThrows(() => new Response("x", "OK"), TypeError, "init must be an object");
    assertEquals(new Response("x", null).status, 200);
    assertThrows(() => new Response(null, { webSocket: {} }), TypeError, "webSocket");
    assertThrows(() => new Response(null, { headers: { "a b": "c" } }), TypeError, "Invalid header name");
  },

  "Response.json serializes with application/json": async () => {
    const response = Response.json({ a: [1, "two"], b: null });
    assertEquals(response.status, 200);
    assertEquals(response.headers.get("content-type"), "application/json");
    assertEquals(await response.text(), "{\"a\":[1,\"two\"],\"b\":null}");
    assertEquals(await Response.json("x\ud800").text(), "\"x\\ud800\"");
    assertEquals(await Response.json(null).json(), null);
  },

  "Response.json takes init like the constructor": async () => {
    const response = Response.json([1], { status: 201, statusText: "Made", headers: { "X-A": "1" } });
    assertEquals(response.status, 201);
    assertEquals(response.statusText, "Made");
    assertEquals([...response.headers], [["content-type", "application/json"], ["x-a", "1"]]);
    const typed = Response.json({}, { headers: { "content-type": "application/vnd.api+json" } });
    assertEquals([...typed.headers], [["content-type", "application/vnd.api+json"]]);
    assertThrows(() => Response.json({}, { status: 204 }), TypeError, "cannot have a body");
    assertThrows(() => Response.json({}, { status: 700 }), RangeError);
  },

  "Response.json rejects what JSON cannot hold": () => {
    assertThrows(() => Response.json(undefined), TypeError, "cannot be serialized");
    assertThrows(() => Response.json(() => 1), TypeError, "cannot be serialized");
    assertThrows(() => Response.json(Symbol("s")), TypeError);
    assertThrows(() => Response.json({ big: 1n }), TypeError);
    const cyclic = {};
    cyclic.self = cyclic;
    assertThrows(() => Response.json(cyclic), TypeError);
    assertThrows(() => Response.json(), TypeError, "1 argument required");
  },

  "Response.redirect sets Location and an immutable guard": () => {
    const response = Response.redirect("https://example.com/a b?x#y");
    assertEquals(response.status, 302);
    assertEquals(response.headers.get("location"), "https://example.com/a%20b?x#y");
    assertEquals(response.body, null);
    assertEquals(response.type, "default");
    assertThrows(() => response.headers.set("x", "1"), TypeError, "Headers are immutable");
    for (const status of [301, 302, 303, 307, 308]) {
      assertEquals(Response.redirect("https://example.com/", status).status, status);
    }
    assertEquals(Response.redirect(new URL("https://example.com/u"), 307).headers.get("location"), "https://example.com/u");
  },

  "Response.redirect rejects other statuses and relative URLs": () => {
    for (const status of [200, 300, 304, 305, 309, 0]) {
      assertThrows(() => Response.redirect("https://example.com/", status), RangeError, "301, 302, 303, 307 or 308");
    }
    assertThrows(() => Response.redirect("/relative"), TypeError, "invalid URL");
    assertThrows(() => Response.redirect("https://exa mple.com/"), TypeError, "invalid URL");
    assertThrows(() => Response.redirect(), TypeError, "1 argument required");
  },

  "Response.error is a network error": async () => {
    const response = Response.error();
    assertEquals(response.type, "error");
    assertEquals(response.status, 0);
    assertEquals(response.ok, false);
    assertEquals(response.statusText, "");
    assertEquals(response.body, null);
    assertEquals([...response.headers], []);
    assertThrows(() => response.headers.append("a", "b"), TypeError, "Headers are immutable");
    assertEquals(await response.text(), "");
  },

  "clone() keeps everything and gives each its own body": async () => {
    const response = new Response(new Uint8Array([7, 8]), { status: 201, statusText: "C", headers: { "x-a": "1" } });
    const clone = response.clone();
    assertEquals(clone.status, 201);
    assertEquals(clone.statusText, "C");
    assertEquals([...clone.headers], [["x-a", "1"]]);
    clone.headers.set("x-a", "2");
    assertEquals(response.headers.get("x-a"), "1");
    const bytes = await response.bytes();
    bytes[0] = 0;
    assertEquals(await clone.bytes(), new Uint8Array([7, 8]));
    assertThrows(() => response.clone(), TypeError, "already been used");

    const lazy = new Response("text");
    const lazyClone = lazy.clone();
    assertEquals(lazyClone.headers.get("content-type"), "text/plain;charset=UTF-8");
    assertEquals(await lazy.text(), "text");
    assertEquals(await lazyClone.text(), "text");

    const errorClone = Response.error().clone();
    assertEquals(errorClone.type, "error");
    assertThrows(() => errorClone.headers.set("a", "b"), TypeError, "Headers are immutable");
    const redirectClone = Response.redirect("https://example.com/").clone();
    assertEquals(redirectClone.headers.get("location"), "https://example.com/");
    assertThrows(() => redirectClone.headers.delete("location"), TypeError, "Headers are immutable");
  },

  "each body read marks the body used and a second read rejects": async () => {
    for (const method of ["text", "json", "arrayBuffer", "bytes", "formData"]) {
      const response = new Response("{}", { headers: { "content-type": "application/x-www-form-urlencoded" } });
      await response[method]();
      assertEquals(response.bodyUsed, true, method);
      await assertRejects(() => response.text(), TypeError, "Body has already been used");
    }
    const empty = new Response(null);
    assertEquals(await empty.text(), "");
    assertEquals(await empty.text(), "", "a null body never becomes used");
    assertEquals(empty.bodyUsed, false);
  },

  "arrayBuffer() and bytes() give UTF-8 bytes of text bodies": async () => {
    const buffer = await new Response("h€").arrayBuffer();
    assert(buffer instanceof ArrayBuffer, "an ArrayBuffer");
    assertEquals(new Uint8Array(buffer), new Uint8Array([0x68, 0xe2, 0x82, 0xac]));
    const bytes = await new Response("h€").bytes();
    assert(bytes instanceof Uint8Array, "a Uint8Array");
    assertEquals(bytes, new Uint8Array([0x68, 0xe2, 0x82, 0xac]));
  },

  "body getter: null or a ReadableStream; blob() rejects": async () => {
    assertEquals(new Response(null).body, null);
    const response = new Response("x");
    await assertRejects(() => response.blob(), TypeError, "Blob");
    assert(response.body instanceof ReadableStream, "body is a stream");
    assertEquals(await response.text(), "x");
    assertEquals(response.bodyUsed, true);
  },

  "stream bodies: text(), clone() tees, bodyUsed follows the stream, async iteration": async () => {
    const chunks = ["a", "bc", "def"].map((s) => new TextEncoder().encode(s));
    const make = () => new ReadableStream({
      pull(c) {
        if (chunks.length === 0) c.close();
        else c.enqueue(chunks.shift());
      },
    });
    const response = new Response(make(), { status: 201 });
    const copy = response.clone();
    assertEquals(await copy.text(), "abcdef");
    let collected = "";
    for await (const chunk of response.body) collected += new TextDecoder().decode(chunk);
    assertEquals(collected, "abcdef");
    assertEquals(response.bodyUsed, true);
    assertThrows(() => response.clone(), TypeError, "already been used");
    const errored = new Response(new ReadableStream({ pull(c) { c.error(new RangeError("broken")); } }));
    await assertRejects(() => errored.arrayBuffer(), RangeError, "broken");
  },

  "TransformStream and WritableStream are there": async () => {
    const { readable, writable } = new TransformStream({
      transform(chunk, controller) { controller.enqueue(chunk.toUpperCase()); },
    });
    const writer = writable.getWriter();
    writer.write("ab");
    writer.close();
    const reader = readable.getReader();
    assertEquals((await reader.read()).value, "AB");
    assertEquals(typeof CountQueuingStrategy, "function");
    assertEquals(typeof ByteLengthQueuingStrategy, "function");
  },

  "unsupported body types throw, other objects become strings": async () => {
    assertThrows(() => new Response({ [Symbol.toStringTag]: "File" }), TypeError, "mar does not support this body type yet: File");
    assertEquals(await new Response({}).text(), "[object Object]");
    assertEquals(await new Response(3.5).text(), "3.5");
    assertEquals(await new Response(false).text(), "false");
    assertThrows(() => new Response(Symbol("s")), TypeError);
  },

  "formData() parses form-urlencoded bodies as the URL Standard says": async () => {
    // Expected: Node 20's Response.formData() on the same bytes.
    const body = new Uint8Array([...new TextEncoder().encode("a=1&b=x+y%2Bz&c=%zz&d=%&&=e&%C3%A9=%F0%9F%98%80&raw="),
      0xc3, 0xa9, 0xff, ...new TextEncoder().encode("&f=%E2%82")]);
    const form = await new Response(body, { headers: { "content-type": "application/x-www-form-urlencoded" } }).formData();
    assertEquals([...form], [["a", "1"], ["b", "x y+z"], ["c", "%zz"], ["d", "%"], ["", "e"], ["é", "😀"], ["raw", "é\ufffd"], ["f", "\ufffd"]]);
  },

  "formData() parses multipart bodies and refuses files": async () => {
    const body = "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n" +
      "--XyZ\r\ncontent-disposition: form-data; name=\"b%22\"\r\nContent-Type: text/plain\r\n\r\nline1\r\nline2\r\n" +
      "--XyZ\r\nContent-Disposition: form-data; name=\"\u00e9\"\r\n\r\n\u20ac\r\n--XyZ--\r\n";
    const form = await new Response(body, { headers: { "content-type": "multipart/form-data; boundary=\"XyZ\"" } }).formData();
    assertEquals([...form], [["a", "1"], ["b\"", "line1\r\nline2"], ["\u00e9", "\u20ac"]]);
    const upload = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n\r\ndata\r\n--b--\r\n";
    await assertRejects(() => new Response(upload, { headers: { "content-type": "multipart/form-data; boundary=b" } }).formData(), TypeError, "file uploads");
    await assertRejects(() => new Response("x", { headers: { "content-type": "multipart/form-data" } }).formData(), TypeError, "boundary");
    await assertRejects(() => new Response("--b\r\nno end", { headers: { "content-type": "multipart/form-data; boundary=b" } }).formData(), TypeError, "malformed");
  },

  "FormData keeps string entries in order": () => {
    const form = new FormData();
    form.append("a", "1");
    form.append("b", 2);
    form.append("a", "3");
    assertEquals(form.get("a"), "1");
    assertEquals(form.getAll("a"), ["1", "3"]);
    assertEquals(form.get("none"), null);
    assertEquals(form.has("b"), true);
    form.set("a", "4");
    assertEquals([...form], [["a", "4"], ["b", "2"]]);
    form.delete("b");
    assertEquals([...form.keys()], ["a"]);
    assertEquals([...form.values()], ["4"]);
    assertEquals(Object.prototype.toString.call(form), "[object FormData]");
    assertThrows(() => form.append("f", "v", "file.txt"), TypeError, "file entries");
    assertThrows(() => new FormData({}), TypeError, "no HTML form");
    assertThrows(() => form.append("a"), TypeError, "2 arguments required");
  },

  "methods check their receiver": async () => {
    const get = (name) => Object.getOwnPropertyDescriptor(Response.prototype, name).get;
    assertThrows(() => get("status").call({}), TypeError);
    assertThrows(() => get("headers").call(new Request("https://example.com/")), TypeError);
    assertThrows(() => get("body").call({}), TypeError);
    await assertRejects(() => Response.prototype.text.call({}), TypeError);
    await assertRejects(() => Response.prototype.blob.call({}), TypeError);
    assertThrows(() => Response.prototype.clone.call({}), TypeError);
    assertEquals(Object.getOwnPropertyNames(new Response("x")), [], "no own properties leak");
    assertThrows(() => Response(), TypeError);
  },

  "subclasses of Response work": async () => {
    class Html extends Response {
      constructor(html) { super(html, { headers: { "content-type": "text/html" } }); }
    }
    const page = new Html("<b>hi</b>");
    assert(page instanceof Response, "a Response");
    assertEquals(page.headers.get("content-type"), "text/html");
    assertEquals(await page.text(), "<b>hi</b>");
  },
};
