// Request and the Body mixin (src/api/js/31_body.js, 32_request.js, 34_form_data.js).
import { assert, assertEquals, assertThrows, assertRejects } from "./assert.js";

const url = "https://example.com/path?q=1";

export const tests = {
  "defaults of a Request made from a URL string": () => {
    const request = new Request(url);
    assertEquals(request.method, "GET");
    assertEquals(request.url, url);
    assertEquals([...request.headers], []);
    assertEquals(request.redirect, "follow");
    assertEquals(request.body, null);
    assertEquals(request.bodyUsed, false);
    assertEquals(request.cache, "default");
    assertEquals(request.integrity, "");
    assertEquals(request.keepalive, false);
    assertEquals(request.cf, undefined);
    assert(request.signal instanceof AbortSignal, "signal is an AbortSignal");
    assertEquals(request.signal.aborted, false);
    assertEquals(request.signal, request.signal, "the same signal every time");
    assertEquals(Object.prototype.toString.call(request), "[object Request]");
  },

  "the URL is parsed and serialized": () => {
    assertEquals(new Request("HTTPS://EXAMPLE.com").url, "https://example.com/");
    assertEquals(new Request("https://example.com/a b/../c#frag").url, "https://example.com/c#frag");
    assertEquals(new Request("http://example.com:80/x").url, "http://example.com/x");
    assertEquals(new Request(new URL("https://example.com/from-url")).url, "https://example.com/from-url");
    assertEquals(new Request({ toString: () => "https://example.com/obj" }).url, "https://example.com/obj");
  },

  "relative or invalid URLs and URLs with credentials throw TypeError": () => {
    assertThrows(() => new Request("/relative"), TypeError, "Invalid URL");
    assertThrows(() => new Request(""), TypeError, "Invalid URL");
    assertThrows(() => new Request("http://exa mple.com/"), TypeError, "Invalid URL");
    assertThrows(() => new Request("https://user:pass@example.com/"), TypeError, "credentials");
    assertThrows(() => new Request("https://user@example.com/"), TypeError, "credentials");
    assertThrows(() => new Request(), TypeError, "1 argument required");
  },

  "methods are normalized for the six standard names only": () => {
    const method = (m) => new Request(url, { method: m }).method;
    assertEquals(method("get"), "GET");
    assertEquals(method("pOsT"), "POST");
    assertEquals(method("put"), "PUT");
    assertEquals(method("delete"), "DELETE");
    assertEquals(method("options"), "OPTIONS");
    assertEquals(method("head"), "HEAD");
    assertEquals(method("patch"), "patch", "PATCH is not in the normalization list");
    assertEquals(method("PATCH"), "PATCH");
    assertEquals(method("Custom-Verb"), "Custom-Verb");
  },

  "invalid and forbidden methods throw TypeError": () => {
    for (const bad of ["", "GET POST", "G\u00e9T", "a(b)", "\u0100"]) {
      assertThrows(() => new Request(url, { method: bad }), TypeError, "Invalid method");
    }
    for (const forbidden of ["CONNECT", "connect", "TRACE", "trace", "TRACK", "Track"]) {
      assertThrows(() => new Request(url, { method: forbidden }), TypeError, "forbidden");
    }
  },

  "GET and HEAD requests cannot have a body": () => {
    assertThrows(() => new Request(url, { body: "x" }), TypeError, "GET method cannot have a body");
    assertThrows(() => new Request(url, { method: "head", body: "" }), TypeError, "HEAD method cannot have a body");
    assertEquals(new Request(url, { body: null }).body, null);
    assertEquals(new Request(url, { body: undefined }).body, null);
    const post = new Request(url, { method: "POST", body: "x" });
    assertThrows(() => new Request(post, { method: "GET" }), TypeError, "GET method cannot have a body");
  },

  "a string body: text/plain content type, read once": async () => {
    const request = new Request(url, { method: "POST", body: "héllo" });
    assertEquals(request.headers.get("content-type"), "text/plain;charset=UTF-8");
    assertEquals(request.bodyUsed, false);
    const text = request.text();
    assertEquals(request.bodyUsed, true, "used as soon as the read starts");
    assertEquals(await text, "héllo");
    await assertRejects(() => request.text(), TypeError, "Body has already been used");
    await assertRejects(() => request.arrayBuffer(), TypeError, "Body has already been used");
    await assertRejects(() => request.json(), TypeError, "Body has already been used");
    assertThrows(() => request.clone(), TypeError, "already been used");
  },

  "a given content type is kept": async () => {
    const request = new Request(url, { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } });
    assertEquals(request.headers.get("content-type"), "application/json");
    assertEquals(await request.json(), {});
  },

  "a null body reads as empty any number of times": async () => {
    const request = new Request(url);
    assertEquals(await request.text(), "");
    assertEquals(await request.text(), "");
    assertEquals((await request.arrayBuffer()).byteLength, 0);
    assertEquals(await request.bytes(), new Uint8Array(0));
    assertEquals(request.bodyUsed, false);
    await assertRejects(() => request.json(), SyntaxError);
  },

  "buffer bodies are copied at construction": async () => {
    const bytes = new Uint8Array([104, 105]);
    const request = new Request(url, { method: "POST", body: bytes });
    bytes[0] = 0;
    assertEquals(request.headers.has("content-type"), false);
    const buffer = await request.arrayBuffer();
    assert(buffer instanceof ArrayBuffer, "arrayBuffer() gives an ArrayBuffer");
    assertEquals(new Uint8Array(buffer), new Uint8Array([104, 105]));

    const backing = new Uint8Array([0, 1, 2, 3, 4, 5]);
    assertEquals(await new Request(url, { method: "PUT", body: backing.subarray(2, 4) }).bytes(), new Uint8Array([2, 3]));
    assertEquals(await new Request(url, { method: "PUT", body: new DataView(backing.buffer, 1, 2) }).bytes(), new Uint8Array([1, 2]));
    assertEquals(await new Request(url, { method: "PUT", body: backing.buffer }).bytes(), backing);
    assertEquals(await new Request(url, { method: "PUT", body: new Uint16Array([0x4241]) }).text(), "AB");
    assertEquals(await new Request(url, { method: "PUT", body: new ArrayBuffer(0) }).text(), "");
  },

  "text() decodes UTF-8 with replacement and drops a BOM": async () => {
    const post = (body) => new Request(url, { method: "POST", body });
    assertEquals(await post(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])).text(), "a");
    assertEquals(await post(new Uint8Array([0x61, 0xff, 0x62, 0xe2, 0x82])).text(), "a\ufffdb\ufffd");
    assertEquals(await post("\ufeffabc").text(), "abc");
    assertEquals(await post("x\ud800y").text(), "x\ufffdy", "lone surrogates become U+FFFD");
    assertEquals(await post("\ud83d\ude00").bytes(), new Uint8Array([0xf0, 0x9f, 0x98, 0x80]));
    assertEquals(await post(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])).json(), {});
  },

  "json() rejects malformed JSON with SyntaxError": async () => {
    await assertRejects(() => new Request(url, { method: "POST", body: "{nope" }).json(), SyntaxError);
    assertEquals(await new Request(url, { method: "POST", body: "[1,\"two\",{\"3\":null}]" }).json(), [1, "two", { 3: null }]);
  },

  "URLSearchParams bodies are form-urlencoded": async () => {
    const request = new Request(url, { method: "POST", body: new URLSearchParams({ a: "1", b: "x y&z" }) });
    assertEquals(request.headers.get("content-type"), "application/x-www-form-urlencoded;charset=UTF-8");
    assertEquals(await request.text(), "a=1&b=x+y%26z");
  },

  "other values become strings; unsupported body types throw": async () => {
    const numeric = new Request(url, { method: "POST", body: 42 });
    assertEquals(numeric.headers.get("content-type"), "text/plain;charset=UTF-8");
    assertEquals(await numeric.text(), "42");
    assertEquals(await new Request(url, { method: "POST", body: { toString: () => "obj" } }).text(), "obj");
    const blob = { [Symbol.toStringTag]: "Blob" };
    assertThrows(() => new Request(url, { method: "POST", body: blob }), TypeError, "mar does not support this body type yet: Blob");
  },

  "body is null without a body and a ReadableStream of the bytes with one": async () => {
    assertEquals(new Request(url).body, null);
    const request = new Request(url, { method: "POST", body: "xy" });
    const body = request.body;
    assert(body instanceof ReadableStream, "body is a ReadableStream");
    assertEquals(request.body, body, "the same stream each time");
    assertEquals(request.bodyUsed, false, "touching body does not use it");
    const reader = body.getReader();
    const { value } = await reader.read();
    assertEquals([...value], [120, 121]);
    assertEquals((await reader.read()).done, true);
    assertEquals(request.bodyUsed, true, "reading the stream uses the body");
    await assertRejects(() => request.text(), TypeError, "already been used");
  },

  "a ReadableStream body is read by text(), moved by new Request and teed by clone": async () => {
    const make = () => new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode("he"));
        c.enqueue(new Uint8Array([108, 108, 111]));
        c.close();
      },
    });
    const request = new Request(url, { method: "POST", body: make() });
    assertEquals(request.headers.get("content-type"), null, "a stream has no Content-Type");
    const copy = request.clone();
    assertEquals(await request.text(), "hello");
    assertEquals(await copy.text(), "hello");
    const moved = new Request(url, { method: "POST", body: make() });
    const second = new Request(moved);
    assertEquals(moved.bodyUsed, true, "the input's body moved");
    assertEquals(await second.text(), "hello");
    const locked = make();
    locked.getReader();
    assertThrows(() => new Request(url, { method: "POST", body: locked }), TypeError, "locked");
    const bad = new Request(url, { method: "POST", body: new ReadableStream({ start(c) { c.enqueue("text"); c.close(); } }) });
    await assertRejects(() => bad.text(), TypeError, "Uint8Array chunks");
  },

  "blob() is not supported; formData() parses form bodies": async () => {
    const request = new Request(url, { method: "POST", body: "x" });
    await assertRejects(() => request.blob(), TypeError, "Blob");
    assertEquals(request.bodyUsed, false, "blob() does not consume the body");
    const form = await new Request(url, { method: "POST", body: new URLSearchParams("a=1&a=2&b=%E2%82%AC+x&c") }).formData();
    assert(form instanceof FormData, "formData() gives a FormData");
    assertEquals([...form], [["a", "1"], ["a", "2"], ["b", "€ x"], ["c", ""]]);
    await assertRejects(() => new Request(url, { method: "POST", body: "a=1" }).formData(), TypeError, "text/plain");
  },

  "FormData bodies are multipart and parse back": async () => {
    const form = new FormData();
    form.append("name", "value");
    form.append("multi\"line", "one\ntwo\r\nthree\r");
    form.append("name", "second");
    const request = new Request(url, { method: "POST", body: form });
    const contentType = request.headers.get("content-type");
    assert(/^multipart\/form-data; boundary=[-0-9A-Za-z]+$/.test(contentType), contentType);
    const boundary = contentType.slice(contentType.indexOf("=") + 1);
    const text = await request.clone().text();
    assertEquals(text,
      `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nvalue\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="multi%22line"\r\n\r\none\r\ntwo\r\nthree\r\n\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nsecond\r\n` +
      `--${boundary}--\r\n`);
    const parsed = await request.formData();
    assertEquals([...parsed], [["name", "value"], ["multi\"line", "one\r\ntwo\r\nthree\r\n"], ["name", "second"]]);
  },

  "Request from a Request copies it and moves the body": async () => {
    const controller = new AbortController();
    const original = new Request(url, {
      method: "PUT", body: "payload", headers: { "x-a": "1" }, redirect: "manual", signal: controller.signal, cf: { cacheTtl: 5 },
    });
    const copy = new Request(original);
    assertEquals(copy.method, "PUT");
    assertEquals(copy.url, url);
    assertEquals(copy.redirect, "manual");
    assertEquals(copy.signal, controller.signal);
    assertEquals(copy.cf, { cacheTtl: 5 });
    assertEquals([...copy.headers], [["content-type", "text/plain;charset=UTF-8"], ["x-a", "1"]]);
    assert(copy.headers !== original.headers, "headers are copied");
    copy.headers.set("x-a", "2");
    assertEquals(original.headers.get("x-a"), "1");
    assertEquals(original.bodyUsed, true, "the body moved to the new Request");
    assertEquals(await copy.text(), "payload");
    assertThrows(() => new Request(original), TypeError, "already been used");
  },

  "Request from a Request with overrides": async () => {
    const original = new Request(url, { method: "POST", body: "old", headers: { "x-a": "1", "content-type": "text/x-old" } });
    const changed = new Request(original, { method: "patch", headers: { "x-b": "2" }, body: "new", redirect: "error" });
    assertEquals(changed.method, "patch");
    assertEquals([...changed.headers], [["content-type", "text/plain;charset=UTF-8"], ["x-b", "2"]]);
    assertEquals(changed.redirect, "error");
    assertEquals(await changed.text(), "new");
    assertEquals(original.bodyUsed, false, "a new body leaves the input's alone");
    assertEquals(await original.text(), "old");
    const noBody = new Request(new Request(url), { method: "DELETE" });
    assertEquals(noBody.method, "DELETE");
    assertEquals(noBody.body, null);
  },

  "redirect must be follow, error or manual": () => {
    assertEquals(new Request(url, { redirect: "error" }).redirect, "error");
    assertEquals(new Request(url, { redirect: "manual" }).redirect, "manual");
    assertThrows(() => new Request(url, { redirect: "Follow" }), TypeError, "redirect");
    assertThrows(() => new Request(url, { redirect: "none" }), TypeError, "redirect");
  },

  "signal: the given AbortSignal, null, or a type error": () => {
    const controller = new AbortController();
    const request = new Request(url, { signal: controller.signal });
    assertEquals(request.signal, controller.signal);
    controller.abort("why");
    assertEquals(request.signal.aborted, true);
    assertEquals(request.signal.reason, "why");
    const fresh = new Request(request, { signal: null });
    assertEquals(fresh.signal.aborted, false, "null replaces the input's signal with a new one");
    assertThrows(() => new Request(url, { signal: {} }), TypeError, "signal must be an AbortSignal");
    assertThrows(() => new Request(url, { signal: "abort" }), TypeError, "signal");
  },

  "cache: no-store and no-cache accepted, the rest throw": () => {
    assertEquals(new Request(url, { cache: "no-store" }).cache, "no-store");
    assertEquals(new Request(url, { cache: "no-cache" }).cache, "no-cache");
    assertEquals(new Request(url, { cache: "default" }).cache, "default");
    assertEquals(new Request(new Request(url, { cache: "no-store" })).cache, "no-store");
    for (const mode of ["reload", "force-cache", "only-if-cached"]) {
      assertThrows(() => new Request(url, { cache: mode }), TypeError, `cache mode "${mode}" is not supported`);
    }
    assertThrows(() => new Request(url, { cache: "sometimes" }), TypeError, "cache must be one of");
  },

  "integrity: only empty; browser-only options are ignored": () => {
    assertEquals(new Request(url, { integrity: "" }).integrity, "");
    assertThrows(() => new Request(url, { integrity: "sha256-abc" }), TypeError, "integrity");
    const request = new Request(url, {
      mode: "cors", credentials: "include", referrer: "https://ref.example/", referrerPolicy: "no-referrer",
      keepalive: true, window: null, priority: "high", duplex: "half",
    });
    assertEquals(request.method, "GET");
    assertEquals(request.keepalive, false);
  },

  "cf is kept, copied and must be an object": () => {
    const cf = { cacheEverything: true };
    const request = new Request(url, { cf });
    assertEquals(request.cf, cf);
    assertEquals(new Request(request).cf, cf);
    assertEquals(new Request(request, { cf: { other: 1 } }).cf, { other: 1 });
    assertThrows(() => new Request(url, { cf: "x" }), TypeError, "cf must be an object");
  },

  "init must be an object; invalid headers in init throw": () => {
    assertThrows(() => new Request(url, "POST"), TypeError, "init must be an object");
    assertThrows(() => new Request(url, 1), TypeError, "init must be an object");
    assertEquals(new Request(url, null).method, "GET");
    assertThrows(() => new Request(url, { headers: { "bad name": "x" } }), TypeError, "Invalid header name");
    assertThrows(() => new Request(url, { headers: [["a"]] }), TypeError, "exactly two items");
  },

  "clone() copies everything and tees the body": async () => {
    const request = new Request(url, { method: "POST", body: new Uint8Array([1, 2, 3]), headers: { "x-a": "1" }, cf: { a: 1 } });
    const clone = request.clone();
    assert(clone instanceof Request, "a Request");
    assertEquals(clone.method, "POST");
    assertEquals(clone.url, url);
    assertEquals(clone.cf, { a: 1 });
    assertEquals(clone.signal, request.signal);
    clone.headers.set("x-a", "2");
    assertEquals(request.headers.get("x-a"), "1");
    const first = new Uint8Array(await request.arrayBuffer());
    first[0] = 99;
    assertEquals(await clone.bytes(), new Uint8Array([1, 2, 3]), "the clone has its own bytes");
    assertEquals(request.bodyUsed, true);
    assertEquals(clone.bodyUsed, true);
  },

  "methods check their receiver": async () => {
    const get = (name) => Object.getOwnPropertyDescriptor(Request.prototype, name).get;
    assertThrows(() => get("method").call({}), TypeError);
    assertThrows(() => get("url").call(new Response("x")), TypeError);
    assertThrows(() => get("bodyUsed").call({}), TypeError);
    await assertRejects(() => Request.prototype.text.call({}), TypeError);
    await assertRejects(() => Request.prototype.json.call(new Response("1")), TypeError);
    assertThrows(() => Request.prototype.clone.call({}), TypeError);
    assertEquals(Object.getOwnPropertyNames(new Request(url)), [], "no own properties leak");
    assertEquals(Object.keys(Request.prototype), [], "members are not enumerable, as with classes");
  },

  "subclasses of Request work": async () => {
    class Tagged extends Request {
      get tag() { return "tagged:" + this.method; }
    }
    const request = new Tagged(url, { method: "POST", body: "b" });
    assertEquals(request.tag, "tagged:POST");
    assertEquals(await request.text(), "b");
  },
};
