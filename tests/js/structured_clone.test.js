import { assert, assertEquals, assertThrows } from "./assert.js";

function assertDataCloneError(fn, what) {
  const error = assertThrows(fn, DOMException);
  assertEquals(error.name, "DataCloneError", what);
  assertEquals(error.code, 25, what);
  return error;
}

export const tests = {
  "primitives come back as they are": () => {
    for (const value of [undefined, null, true, false, 0, -0, NaN, Infinity, 1.5, 12n, "", "text \ud83d\ude00"]) {
      assert(Object.is(structuredClone(value), value), String(value));
    }
  },

  "objects and arrays are deep copies": () => {
    const original = { a: 1, nested: { list: [1, "two", { three: 3 }] }, empty: [] };
    const copy = structuredClone(original);
    assertEquals(copy, original);
    assert(copy !== original && copy.nested !== original.nested && copy.nested.list !== original.nested.list);
    copy.nested.list.push(4);
    assertEquals(original.nested.list.length, 3);
  },

  "cycles and shared references are preserved": () => {
    const shared = { s: 1 };
    const original = { left: shared, right: shared };
    original.self = original;
    const copy = structuredClone(original);
    assert(copy.self === copy);
    assert(copy.left === copy.right);
    assert(copy.left !== shared);
  },

  "built-in types keep their type": () => {
    const date = new Date(86400000);
    const copy = structuredClone({
      date,
      regexp: /a+b/gi,
      map: new Map([["k", { v: 1 }]]),
      set: new Set([1, 2]),
      bytes: new Uint8Array([1, 2, 3]),
      buffer: new Uint16Array([7]).buffer,
      boxed: new String("s"),
    });
    assert(copy.date instanceof Date && copy.date !== date);
    assertEquals(copy.date.getTime(), 86400000);
    assert(copy.regexp instanceof RegExp);
    assertEquals([copy.regexp.source, copy.regexp.flags], ["a+b", "gi"]);
    assertEquals(copy.map.get("k"), { v: 1 });
    assertEquals([...copy.set], [1, 2]);
    assert(copy.bytes instanceof Uint8Array);
    assertEquals(copy.bytes, new Uint8Array([1, 2, 3]));
    assert(copy.buffer instanceof ArrayBuffer);
    assertEquals(new Uint16Array(copy.buffer)[0], 7);
    assertEquals(copy.boxed.valueOf(), "s");
  },

  "errors are cloned with name and message": () => {
    const copy = structuredClone(new RangeError("out of range"));
    assert(copy instanceof RangeError);
    assertEquals(copy.message, "out of range");
  },

  "class instances become plain objects (prototypes do not travel)": () => {
    class Point { constructor() { this.x = 1; this.y = 2; } norm() { return 0; } }
    const copy = structuredClone(new Point());
    assertEquals(Object.getPrototypeOf(copy), Object.prototype);
    assertEquals(copy, { x: 1, y: 2 });
  },

  "functions and symbols are DataCloneErrors": () => {
    assertDataCloneError(() => structuredClone(() => {}), "function");
    assertDataCloneError(() => structuredClone({ nested: [function named() {}] }), "nested function");
    assertDataCloneError(() => structuredClone(Symbol("s")), "symbol");
    assertDataCloneError(() => structuredClone(new WeakMap()), "WeakMap");
    assertDataCloneError(() => structuredClone(Promise.resolve()), "Promise");
  },

  "built-in platform objects that are not serializable are refused": () => {
    for (const value of [new Event("x"), new EventTarget(), new AbortController(), AbortSignal.abort(), new TextEncoder(), new TextDecoder(), crypto, crypto.subtle, performance,
      new Headers({ a: "1" }), new Request("https://example.com/"), new Response("x"), new FormData(),
      new URL("https://example.com/"), new URLSearchParams("a=1")]) {
      const error = assertDataCloneError(() => structuredClone(value), Object.prototype.toString.call(value));
      assert(error.message.includes("could not be cloned"), error.message);
    }
  },

  "a getter that throws propagates its own error": () => {
    const value = { get boom() { throw new URIError("from the getter"); } };
    assertThrows(() => structuredClone(value), URIError, "from the getter");
  },

  "an empty transfer list is accepted": () => {
    assertEquals(structuredClone({ a: 1 }, { transfer: [] }), { a: 1 });
    assertEquals(structuredClone({ a: 1 }, {}), { a: 1 });
    assertEquals(structuredClone({ a: 1 }, undefined), { a: 1 });
    assertEquals(structuredClone({ a: 1 }, null), { a: 1 });
  },

  "transferred ArrayBuffers move to the copy and are detached": () => {
    const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
    const view = new Uint8Array(buffer, 1, 2);
    const copy = structuredClone({ buffer, view }, { transfer: [buffer] });
    assertEquals(buffer.byteLength, 0, "the original is detached");
    assertEquals(view.length, 0, "and so are its views");
    assertEquals([...new Uint8Array(copy.buffer)], [1, 2, 3, 4]);
    assertEquals([...copy.view], [2, 3]);
    assert(copy.view.buffer === copy.buffer, "the copy's view shares the moved buffer");
    // A buffer that is only in the transfer list is detached too.
    const other = new ArrayBuffer(8);
    assertEquals(structuredClone(1, { transfer: [other] }), 1);
    assertEquals(other.byteLength, 0);
  },

  "what cannot be transferred is refused and nothing is detached": () => {
    const buffer = new ArrayBuffer(8);
    for (const [transfer, fragment] of [
      [[buffer, buffer], "twice"],
      [[buffer, {}], "only ArrayBuffers"],
      [[new WebAssembly.Memory({ initial: 1 }).buffer], "cannot be detached"],
    ]) {
      const error = assertThrows(() => structuredClone(buffer, { transfer }), DOMException);
      assertEquals(error.name, "DataCloneError");
      assert(error.message.includes(fragment), error.message);
      assertEquals(buffer.byteLength, 8, "nothing was detached");
    }
    structuredClone(null, { transfer: [buffer] });
    const error = assertThrows(() => structuredClone(null, { transfer: [buffer] }), DOMException);
    assert(error.message.includes("already detached"), error.message);
    // A value that cannot be cloned leaves the transfer list alone.
    const kept = new ArrayBuffer(4);
    assertThrows(() => structuredClone({ f() {} }, { transfer: [kept] }), DOMException);
    assertEquals(kept.byteLength, 4);
  },

  "options are checked as WebIDL says": () => {
    assertThrows(() => structuredClone(), TypeError);
    assertThrows(() => structuredClone(1, 5), TypeError);
    assertThrows(() => structuredClone(1, { transfer: 5 }), TypeError);
    assertThrows(() => structuredClone(1, { transfer: [1] }), TypeError);
    assertEquals(structuredClone(undefined), undefined);
  },

  "the global is WebIDL-shaped": () => {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, "structuredClone");
    assertEquals([descriptor.writable, descriptor.enumerable, descriptor.configurable], [true, false, true]);
    assertEquals(structuredClone.length, 1);
  },
};
