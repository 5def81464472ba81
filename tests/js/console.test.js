// console writes log records that a test inside the context cannot read back, so these tests pin
// the console's shape and that printing anything is safe; the exact output is checked by the
// dev harness (tests/js/dev/console_output.devtest.js) and by end-to-end tests on mar's logs.
import { assert, assertEquals, assertThrows } from "./assert.js";

const kMethods = ["log", "info", "debug", "warn", "error", "dirxml", "trace", "assert", "dir", "table", "count",
  "countReset", "group", "groupCollapsed", "groupEnd", "time", "timeLog", "timeEnd", "clear"];

function awkwardValues() {
  const circular = { name: "loop" };
  circular.self = circular;
  circular.list = [circular, { back: circular }];
  const sparse = [1, , 3];
  sparse.extra = "key";
  const big = Array.from({ length: 1000 }, (_, i) => ({ i }));
  const nullProto = Object.create(null);
  nullProto.x = 1;
  const withGetter = { get explode() { throw new Error("getters are not called"); } };
  const map = new Map([[{ k: 1 }, new Set([1, 2])], ["s", new Map()]]);
  const error = new TypeError("bad thing", { cause: new Error("root") });
  error.code = "E_BAD";
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  return [
    undefined, null, true, 0, -0, NaN, 12345678901234567890n, "text", "", Symbol("sym"), Symbol(),
    circular, sparse, big, nullProto, withGetter, map, error, new AggregateError([new Error("a")], "many"),
    new DOMException("dom", "AbortError"), new Date(), new Date(NaN), /re/g, new Uint8Array(300), new Float64Array([1.5, -0]),
    new BigUint64Array(2), new ArrayBuffer(8), new SharedArrayBuffer(4), new DataView(new ArrayBuffer(4)), Promise.resolve(1),
    Promise.reject(new Error("handled")).catch(() => {}), new WeakMap(), new WeakSet(), function named() {},
    () => {}, async () => {}, function* gen() {}, class K extends Map {}, Math, JSON, globalThis,
    new Proxy({ a: 1 }, {}), new Number(1), new String("boxed"), Object(Symbol("boxed")), "x".repeat(20000),
    { [Symbol.toStringTag]: "Tagged" }, new (class Custom { constructor() { this.v = 1; } })(),
    new Event("e"), new CustomEvent("c", { detail: [1] }), new EventTarget(), new AbortController(), AbortSignal.abort(),
    new TextEncoder(), new TextDecoder(), crypto, crypto.subtle, performance,
    { [Symbol.for("nodejs.util.inspect.custom")]: () => "custom text" },
    { [Symbol.for("nodejs.util.inspect.custom")]: () => ({ replaced: true }) },
    (function () { return arguments; })(1, 2),
  ];
}

export const tests = {
  "console is a namespace object with the standard methods": () => {
    assertEquals(typeof console, "object");
    assertEquals(Object.prototype.toString.call(console), "[object console]");
    assertEquals(Object.getPrototypeOf(console), Object.prototype);
    for (const name of kMethods) {
      assertEquals(typeof console[name], "function", name);
      const descriptor = Object.getOwnPropertyDescriptor(console, name);
      assertEquals([descriptor.writable, descriptor.enumerable, descriptor.configurable], [true, true, true], name);
    }
    const global = Object.getOwnPropertyDescriptor(globalThis, "console");
    assertEquals([global.writable, global.enumerable, global.configurable], [true, false, true]);
  },

  "methods are not constructors and have WebIDL lengths": () => {
    assertThrows(() => new console.log(), TypeError);
    for (const name of kMethods) assertEquals(console[name].length, 0, name);
  },

  "methods work detached from console": () => {
    const { log, count, group, groupEnd, time, timeEnd, table } = console;
    log("detached %s", "ok");
    count("detached");
    group("g");
    groupEnd();
    time("detached");
    timeEnd("detached");
    table([{ a: 1 }]);
  },

  "printing awkward values never throws": () => {
    for (const value of awkwardValues()) {
      console.log(value);
      console.log("%s|%d|%i|%f|%j|%o|%O|%c", value, value, value, value, 5, value, value, "color: red");
      console.error([value], { value });
      console.dir(value, { depth: 0 });
      console.dir(value, { depth: null, showHidden: true });
    }
  },

  "every level accepts any arguments": () => {
    console.log();
    console.info("info", 1, {});
    console.debug("debug");
    console.warn("warn");
    console.error("error");
    console.dirxml("dirxml", [1]);
    console.trace();
    console.trace("trace %s", "message", { with: "data" });
  },

  "assert only logs falsy conditions and never throws": () => {
    console.assert(true);
    console.assert(1, "fine");
    console.assert(false);
    console.assert(false, "message %s", "with substitution");
    console.assert(null, { data: 1 });
    console.assert();
  },

  "table handles every shape of data": () => {
    console.table([{ a: 1, b: "Y" }, { a: "Z", b: 2 }]);
    console.table([[1, 2], [3, 4]]);
    console.table({ row1: { x: 1 }, row2: 5 });
    console.table([{ a: 1, b: 2 }], ["b", "missing"]);
    console.table(new Map([["k", { v: 1 }]]));
    console.table(new Set(["a", "b"]));
    console.table([]);
    console.table("not tabular");
    console.table(42);
    console.table(null);
    console.table();
    assertThrows(() => console.table([{ a: 1 }], 5), TypeError);
  },

  "count, time and group labels are DOMStrings": () => {
    console.count(1);
    console.count({ toString: () => "object label" });
    console.countReset(1);
    console.countReset("never counted");
    assertThrows(() => console.count(Symbol("label")), TypeError);
    assertThrows(() => console.time(Symbol("label")), TypeError);
    console.time(undefined);
    console.timeLog(undefined, "data", 1);
    console.timeEnd();
    console.timeEnd("not started");
    console.timeLog("not started");
    for (let i = 0; i < 3; i++) console.group("level", i);
    console.groupCollapsed();
    for (let i = 0; i < 10; i++) console.groupEnd();
    console.clear();
  },

  "errors thrown by a custom inspect hook propagate": () => {
    const value = { [Symbol.for("nodejs.util.inspect.custom")]: () => { throw new RangeError("from the hook"); } };
    assertThrows(() => console.log(value), RangeError, "from the hook");
  },

  "the console can be replaced like any WebIDL global": () => {
    const original = globalThis.console;
    globalThis.console = { log() {} };
    assert(globalThis.console !== original);
    globalThis.console = original;
    assertEquals(globalThis.console, original);
  },
};
