// Request and Response: constructors and their checks, body readers and bodyUsed, clone,
// Response.redirect/json/error, status text, null-body statuses; responses served as built.
import { attempt, attemptAsync } from "./lib.js";
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
const U = "https://example.com/base/";

async function responseApi() {
  const r = {};
  const plain = new Response("x");
  r.defaults = [plain.status, plain.statusText, plain.ok, plain.type, plain.redirected, plain.url, plain.bodyUsed];
  r.stringType = plain.headers.get("content-type");
  r.bytesType = new Response(new Uint8Array([1])).headers.get("content-type");
  r.nullBodyType = new Response(null).headers.get("content-type");
  r.paramsType = new Response(new URLSearchParams("a=1")).headers.get("content-type");
  r.explicitType = new Response("x", { headers: { "Content-Type": "text/html" } }).headers.get("content-type");
  r.status199 = attempt(() => new Response("x", { status: 199 }).status);
  r.status200 = new Response("x", { status: 200 }).status;
  r.status599 = attempt(() => new Response("x", { status: 599 }).status);
  r.status600 = attempt(() => new Response("x", { status: 600 }).status);
  r.status204Body = attempt(() => new Response("x", { status: 204 }).status);
  r.status204Empty = attempt(() => new Response("", { status: 204 }).status);
  r.status304Null = attempt(() => new Response(null, { status: 304 }).body);
  r.status205Null = attempt(() => new Response(null, { status: 205 }).status);
  r.statusTextCustom = new Response("x", { status: 299, statusText: "Custom Thing" }).statusText;
  r.statusTextNewline = attempt(() => new Response("x", { statusText: "bad\nline" }).statusText);
  r.okRange = [200, 201, 299, 300, 404].map((status) => new Response(null, { status }).ok);
  const err = Response.error();
  r.error = [err.type, err.status, err.statusText, err.ok, err.body];
  r.errorHeadersImmutable = attempt(() => err.headers.set("x", "1"));
  const redirect = Response.redirect("https://example.com/target?x=1", 307);
  r.redirect = [redirect.status, redirect.headers.get("location"), redirect.body];
  r.redirectDefault = Response.redirect("https://example.com/").status;
  r.redirectStatuses = [301, 302, 303, 307, 308].map((s) => Response.redirect("https://example.com/", s).status);
  r.redirectBadStatus = attempt(() => Response.redirect("https://example.com/", 200));
  r.redirectBadUrl = attempt(() => Response.redirect("http://exa mple.com/"));
  r.redirectRelative = attempt(() => Response.redirect("/relative").headers.get("location"));
  r.redirectNormalizes = Response.redirect("HTTPS://EXAMPLE.com/a/../b c").headers.get("location");
  r.redirectHeadersImmutable = attempt(() => redirect.headers.set("x", "1"));
  const json = Response.json({ a: 1, b: [true, null] }, { status: 201, statusText: "Made", headers: { "X-Extra": "1" } });
  r.json = [json.status, json.statusText, json.headers.get("content-type"), json.headers.get("x-extra"), await json.text()];
  r.jsonKeepsType = Response.json(1, { headers: { "content-type": "application/vnd.api+json" } }).headers.get("content-type");
  r.jsonUndefined = attempt(() => Response.json(undefined).status);
  r.jsonBigInt = attempt(() => Response.json(1n).status);
  r.jsonNullBodyStatus = attempt(() => Response.json({}, { status: 204 }).status);
  const read = new Response("abc");
  r.text = await read.text();
  r.bodyUsedAfter = read.bodyUsed;
  r.secondRead = await attemptAsync(() => read.text());
  r.cloneAfterUse = attempt(() => read.clone());
  r.arrayBuffer = hex(await new Response("h\u00e9").arrayBuffer());
  r.jsonRead = await new Response('{"k":[1,"two"]}').json();
  r.jsonReadBad = await attemptAsync(() => new Response("{bad").json());
  r.bodyIsStream = new Response("abc").body instanceof ReadableStream;
  r.nullBodyRead = [await new Response(null).text(), new Response(null).body];
  const original = new Response("tee me");
  const copy = original.clone();
  r.clone = [await original.text(), await copy.text(), original.bodyUsed, copy.bodyUsed];
  const headered = new Response("x", { status: 202, statusText: "Yes", headers: { a: "1" } });
  const headeredClone = headered.clone();
  r.cloneKeeps = [headeredClone.status, headeredClone.statusText, headeredClone.headers.get("a")];
  r.mutableHeaders = attempt(() => {
    const m = new Response("x");
    m.headers.set("x-late", "1");
    return m.headers.get("x-late");
  });
  return r;
}

async function requestApi() {
  const r = {};
  r.url = new Request("https://Example.com/a b/../c?q=1 2#frag").url;
  r.relative = attempt(() => new Request("/relative").url);
  r.defaults = (({ method, bodyUsed, redirect, body }) => [method, bodyUsed, redirect, body])(new Request(U));
  r.signal = new Request(U).signal instanceof AbortSignal;
  r.methods = ["get", "post", "put", "delete", "head", "options", "patch", "Custom"].map(
    (method) => attempt(() => new Request(U, { method }).method),
  );
  r.forbiddenMethods = ["CONNECT", "TRACE", "track"].map((method) => attempt(() => new Request(U, { method }).method));
  r.invalidMethod = attempt(() => new Request(U, { method: "bad method" }).method);
  r.getWithBody = attempt(() => new Request(U, { body: "x" }).method);
  r.headWithBody = attempt(() => new Request(U, { method: "HEAD", body: "x" }).method);
  const post = new Request(U, { method: "POST", body: "payload", headers: { "X-Req": "1" } });
  r.postType = post.headers.get("content-type");
  r.postHeader = post.headers.get("x-req");
  const postClone = post.clone();
  r.postText = await post.text();
  r.postUsed = [post.bodyUsed, postClone.bodyUsed];
  r.postCloneText = await postClone.text();
  r.postSecondRead = await attemptAsync(() => post.text());
  r.postJson = await new Request(U, { method: "POST", body: '{"x":[1]}' }).json();
  r.postBytes = hex(await new Request(U, { method: "PUT", body: new Uint8Array([0, 255, 16]) }).arrayBuffer());
  const base = new Request(U, { method: "POST", body: "b", headers: { a: "1" } });
  const derived = new Request(base, { method: "PUT", headers: { b: "2" } });
  r.derived = [derived.method, derived.url, [...derived.headers], await derived.text()];
  r.derivedTakesBody = base.bodyUsed;
  const copied = new Request(new Request(U, { headers: { z: "9" } }));
  r.copied = [copied.url, copied.headers.get("z")];
  r.requestHeadersMutable = attempt(() => {
    const q = new Request(U);
    q.headers.set("x", "1");
    return q.headers.get("x");
  });
  return r;
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === "/response-api") return Response.json(await responseApi());
    if (path === "/request-api") return Response.json(await requestApi());
    if (path === "/incoming") {
      const copy = request.clone();
      const text = await request.text();
      return Response.json({
        method: request.method,
        url: request.url,
        text,
        cloneText: await copy.text(),
        bodyUsed: [request.bodyUsed, copy.bodyUsed],
        secondRead: await attemptAsync(() => request.text()),
      });
    }
    if (path === "/incoming-json") return Response.json({ parsed: await request.json() });
    if (path === "/incoming-bytes") return new Response(hex(await request.arrayBuffer()));
    if (path === "/redirect") {
      const status = Number(url.searchParams.get("status") ?? 302);
      return Response.redirect("https://example.com/target?from=compat", status);
    }
    if (path === "/json-init") {
      return Response.json({ made: true }, { status: 201, statusText: "Made", headers: { "X-Extra": "yes" } });
    }
    if (path === "/json-type") {
      return Response.json([1, 2], { headers: { "content-type": "application/vnd.api+json" } });
    }
    if (path === "/status-text") return new Response("custom\n", { status: 299, statusText: "Custom Thing" });
    if (path === "/no-content") return new Response(null, { status: 204, headers: { "x-why": "204" } });
    if (path === "/reset-content") return new Response(null, { status: 205 });
    if (path === "/not-modified") return new Response(null, { status: 304, headers: { etag: '"v1"' } });
    if (path === "/empty") return new Response();
    if (path === "/empty-string") return new Response("");
    if (path === "/bytes") return new Response(new Uint8Array([0, 1, 2, 254, 255]));
    if (path === "/string") return new Response("h\u00e9llo \u{1F600}\n");
    if (path === "/params") return new Response(new URLSearchParams({ a: "1", b: "x y" }));
    if (path === "/clone") return new Response("cloned body\n", { headers: { "x-c": "1" } }).clone();
    if (path === "/not-found") return new Response("missing\n", { status: 404, statusText: "Not Here" });
    return new Response("not found\n", { status: 404 });
  },
};
