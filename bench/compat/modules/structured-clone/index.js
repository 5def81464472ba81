// structuredClone: what survives a clone (types, identity, cycles, property order, -0, NaN,
// sparse arrays, errors, typed arrays sharing a buffer) and what is refused (DataCloneError).
import { attempt } from "./lib.js";

// A JSON description of a value, with types, so that a clone's shape can be compared as text.
function describe(v, seen = new Map()) {
  if (v === null) return null;
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : Number.isNaN(v) || !Number.isFinite(v) ? String(v) : v;
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "undefined") return "undefined";
  if (typeof v !== "object") return v;
  if (seen.has(v)) return `<cycle to #${seen.get(v)}>`;
  seen.set(v, seen.size);
  const tag = Object.prototype.toString.call(v).slice(8, -1);
  if (v instanceof Date) return { Date: v.getTime() };
  if (v instanceof RegExp) return { RegExp: [v.source, v.flags, v.lastIndex] };
  if (v instanceof Map) return { Map: [...v].map(([k, x]) => [describe(k, seen), describe(x, seen)]) };
  if (v instanceof Set) return { Set: [...v].map((x) => describe(x, seen)) };
  if (v instanceof ArrayBuffer) return { ArrayBuffer: [...new Uint8Array(v)] };
  if (ArrayBuffer.isView(v)) {
    return { [tag]: [v.byteOffset, v.byteLength, [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)]] };
  }
  if (v instanceof Error) return { Error: [v.constructor.name, v.name, v.message, "cause" in v ? describe(v.cause, seen) : "no cause"] };
  if (Array.isArray(v)) {
    return { Array: [v.length, Object.keys(v).map((k) => [k, describe(v[k], seen)])] };
  }
  if (tag === "Boolean" || tag === "Number" || tag === "String") return { [`boxed ${tag}`]: describe(v.valueOf(), seen) };
  return {
    [`object ${Object.getPrototypeOf(v) === Object.prototype ? "plain" : "other"}`]:
      Object.keys(v).map((k) => [k, describe(v[k], seen)]),
  };
}
const clone = (v, options) => attempt(() => describe(options === undefined ? structuredClone(v) : structuredClone(v, options)));

class Point {
  constructor() {
    this.x = 1;
    this.y = 2;
  }
  get sum() {
    return this.x + this.y;
  }
}

function cases() {
  const r = {};
  r.primitives = clone([1, -0, NaN, Infinity, "s", true, null, undefined, 10n]);
  r.nested = clone({ b: 1, a: { c: [1, { d: "e" }] }, 2: "two", 1: "one" });
  const cyclic = { name: "root" };
  cyclic.self = cyclic;
  cyclic.list = [cyclic];
  r.cycle = clone(cyclic);
  const shared = { s: 1 };
  const both = structuredClone({ a: shared, b: shared });
  r.sharedIdentity = both.a === both.b;
  r.date = clone(new Date(1700000000000));
  r.regexp = clone(/a+b/gi);
  r.map = clone(new Map([[1, "one"], ["k", { v: true }]]));
  r.set = clone(new Set([3, 1, "x"]));
  r.arrayBuffer = clone(new Uint8Array([1, 2, 3]).buffer);
  const buffer = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]).buffer;
  r.views = clone([new Uint16Array(buffer, 2, 2), new DataView(buffer, 1, 3), new Int8Array(buffer)]);
  const pair = structuredClone([new Uint8Array(buffer, 0, 2), new Uint8Array(buffer, 4, 2)]);
  r.viewsShareBuffer = pair[0].buffer === pair[1].buffer;
  r.sparse = clone([1, , 3, , ]); // eslint-disable-line no-sparse-arrays
  const withProps = [1, 2];
  withProps.extra = "x";
  r.arrayProps = clone(withProps);
  r.boxed = clone([new Number(3), new String("s"), new Boolean(false)]);
  r.errors = clone([new Error("plain"), new TypeError("type"), new RangeError("range"), new SyntaxError("syntax")]);
  r.errorCause = clone(new Error("outer", { cause: "inner" }));
  const custom = new Error("custom");
  custom.name = "CustomName";
  r.errorCustomName = clone(custom);
  r.classInstance = clone(new Point());
  r.getter = clone({ get g() { return "computed"; } });
  r.symbolKey = clone({ [Symbol("s")]: 1, k: 2 });
  r.nonEnumerable = clone(Object.defineProperty({ a: 1 }, "hidden", { value: 2, enumerable: false }));
  r.nullProto = clone(Object.assign(Object.create(null), { a: 1 }));
  r.function = clone({ f() {} });
  r.symbol = clone(Symbol("s"));
  r.weakMap = clone(new WeakMap());
  r.promise = clone(Promise.resolve(1));
  r.request = clone(new Request("https://example.com/"));
  r.response = clone(new Response("x"));
  r.url = clone(new URL("https://example.com/"));
  r.nestedTextEncoder = clone({ inner: new TextEncoder() });
  r.nestedEvent = clone([new Event("e")]);
  r.domException = clone(new DOMException("m", "AbortError"));
  r.noArgs = attempt(() => structuredClone());
  r.transferEmpty = clone({ a: 1 }, { transfer: [] });
  return r;
}

export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/cases") return Response.json(cases());
    if (path === "/body") return Response.json(describe(structuredClone(await request.json())));
    return new Response("not found\n", { status: 404 });
  },
};
