// Dev-only: checks console output exactly, through the log records the dev runner's fake
// native.log captures (globalThis.__devLogs exists only under tests/js/dev/run.mjs).
import { assertEquals } from "../assert.js";

function logged(fn) {
  const logs = globalThis.__devLogs;
  const start = logs.length;
  fn();
  return logs.slice(start).map(([level, message]) => `${level}|${message}`);
}
const show = (value) => logged(() => console.log(value))[0].slice("info|".length);
const showInObject = (value) => show([value]).slice(2, -2);

export const tests = {
  "primitives": () => {
    assertEquals(show("top-level strings are raw"), "top-level strings are raw");
    assertEquals(show(42), "42");
    assertEquals(show(-0), "-0");
    assertEquals(show(10n), "10n");
    assertEquals(show(undefined), "undefined");
    assertEquals(show(null), "null");
    assertEquals(show(true), "true");
    assertEquals(show(Symbol("s")), "Symbol(s)");
    assertEquals(show([-0, 0, 1n, NaN]), "[ -0, 0, 1n, NaN ]");
  },

  "strings inside objects are quoted and escaped": () => {
    assertEquals(show(["it's", 'say "hi"', `both ' and "`, "line\nbreak\t\x01"]), `[ "it's", 'say "hi"', \`both ' and "\`, "line\\nbreak\\t\\x01" ]`);
    assertEquals(show({ "a-b": 1, "1x": 2, __proto__x: 3 }), '{ "a-b": 1, "1x": 2, __proto__x: 3 }');
  },

  "objects and nesting": () => {
    assertEquals(show({ a: 1, b: "x" }), '{ a: 1, b: "x" }');
    assertEquals(show({}), "{}");
    assertEquals(show({ a: { b: { c: { d: 1 } } } }), "{\n  a: { b: { c: { d: 1 } } }\n}");
    assertEquals(show({ a: { b: { c: { d: { e: { f: 1 } } } } } }), "{\n  a: {\n    b: { c: { d: { e: [Object] } } }\n  }\n}");
    assertEquals(show([[[[[["deep"]]]]]]), "[\n  [\n    [ [ [ [Array] ] ] ]\n  ]\n]");
    assertEquals(show({ aaaaaaaaaaaa: "bbbbbbbbbbbbbbbbbbbbbb", ccccccccccccccc: "dddddddddddddddddddddd", eeeeeeeeeeee: 1234567 }),
      '{\n  aaaaaaaaaaaa: "bbbbbbbbbbbbbbbbbbbbbb",\n  ccccccccccccccc: "dddddddddddddddddddddd",\n  eeeeeeeeeeee: 1234567\n}');
    assertEquals(show(Object.assign(Object.create(null), { x: 1 })), "[Object: null prototype] { x: 1 }");
    assertEquals(show(new (class Foo { constructor() { this.x = 1; } })()), "Foo { x: 1 }");
    assertEquals(show(new (class Bar {})()), "Bar {}");
    assertEquals(show({ [Symbol("k")]: Symbol("v") }), "{ [Symbol(k)]: Symbol(v) }");
    assertEquals(show({ get g() { return 1; }, set s(v) {}, get gs() { return 1; }, set gs(v) {} }), "{ g: [Getter], s: [Setter], gs: [Getter/Setter] }");
    assertEquals(show({ [Symbol.toStringTag]: "Custom" }), '{ [Symbol(Symbol.toStringTag)]: "Custom" }');
    assertEquals(show(new (class T { get [Symbol.toStringTag]() { return "Tag"; } })()), "T [Tag] {}");
  },

  "circular references": () => {
    const circ = { name: "c" };
    circ.self = circ;
    circ.list = [circ];
    assertEquals(show(circ), '<ref *1> { name: "c", self: [Circular *1], list: [ [Circular *1] ] }');
  },

  "arrays": () => {
    assertEquals(show([1, 2, 3]), "[ 1, 2, 3 ]");
    assertEquals(show([]), "[]");
    assertEquals(show([1, , , 4]), "[ 1, <2 empty items>, 4 ]");
    const withKey = [1];
    withKey.extra = true;
    assertEquals(show(withKey), "[ 1, extra: true ]");
    assertEquals(show(Array.from({ length: 26 }, (_, i) => i)), "[\n   0,  1,  2,  3,  4,  5,  6,  7,\n   8,  9, 10, 11, 12, 13, 14, 15,\n  16, 17, 18, 19, 20, 21, 22, 23,\n  24, 25\n]");
    assertEquals(show(["apple", "banana", "cherry", "dates", "elder", "figs", "grape"]), '[\n  "apple",  "banana",\n  "cherry", "dates",\n  "elder",  "figs",\n  "grape"\n]');
    const long = show(Array.from({ length: 120 }, (_, i) => i));
    assertEquals(long.split("\n").slice(-3).join("\n"), "  96, 97, 98, 99,\n  ... 20 more items\n]");
    assertEquals(long.split("\n")[1], "   0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11,");
  },

  "collections and built-ins": () => {
    assertEquals(show(new Map([["a", 1], ["b", { c: 2 }]])), 'Map(2) { "a" => 1, "b" => { c: 2 } }');
    assertEquals(show(new Set([1, "x"])), 'Set(2) { 1, "x" }');
    assertEquals(show(new Map()), "Map(0) {}");
    assertEquals(show(new Uint8Array([1, 2, 3])), "Uint8Array(3) [ 1, 2, 3 ]");
    assertEquals(show(new BigInt64Array(2)), "BigInt64Array(2) [ 0n, 0n ]");
    assertEquals(show(new Uint8Array([1, 2, 255]).buffer), "ArrayBuffer { [Uint8Contents]: <01 02 ff>, byteLength: 3 }");
    assertEquals(show(new DataView(new ArrayBuffer(2))), "DataView {\n  byteLength: 2,\n  byteOffset: 0,\n  buffer: ArrayBuffer { [Uint8Contents]: <00 00>, byteLength: 2 }\n}");
    assertEquals(show(new Date(0)), "1970-01-01T00:00:00.000Z");
    assertEquals(show(new Date(NaN)), "Invalid Date");
    assertEquals(show(/ab+c/gi), "/ab+c/gi");
    assertEquals(show([new Number(3), new String("ab"), new Boolean(false), Object(1n)]), '[ [Number: 3], [String: "ab"], [Boolean: false], [BigInt: 1n] ]');
    assertEquals(show([new WeakMap(), new WeakSet()]), "[ WeakMap { <items unknown> }, WeakSet { <items unknown> } ]");
    assertEquals(show(Promise.resolve(1)), "Promise { <unknown> }");
    assertEquals(show((function () { return arguments; })(1, 2)), "[Arguments] [ 1, 2 ]");
  },

  "functions and classes": () => {
    assertEquals(show(function foo() {}), "[Function: foo]");
    assertEquals(show([() => {}]), "[ [Function (anonymous)] ]");
    assertEquals(show(class A {}), "[class A]");
    assertEquals(show(class B extends Array {}), "[class B extends Array]");
    assertEquals(show(async function af() {}), "[AsyncFunction: af]");
    assertEquals(show(function* gen() {}), "[GeneratorFunction: gen]");
    assertEquals(show(Object.assign(function withProps() {}, { a: 1 })), "[Function: withProps] { a: 1 }");
    assertEquals(show(TextEncoder), "[class TextEncoder]");
    assertEquals(show(Event), "[class Event] {\n  NONE: 0,\n  CAPTURING_PHASE: 1,\n  AT_TARGET: 2,\n  BUBBLING_PHASE: 3\n}");
    assertEquals(show(AbortSignal).split(" {")[0], "[class AbortSignal extends EventTarget]");
    assertEquals(show(class C extends AbortController {}), "[class C extends AbortController]");
  },

  "errors print their stack": () => {
    const error = new TypeError("bad");
    error.stack = "TypeError: bad\n    at foo (file.js:1:1)";
    assertEquals(show(error), "TypeError: bad\n    at foo (file.js:1:1)");
    const inner = new Error("inner");
    inner.stack = "Error: inner\n    at bar (x.js:2:2)";
    assertEquals(show({ e: inner }), "{\n  e: Error: inner\n      at bar (x.js:2:2)\n}");
    const bare = new RangeError("no frames");
    bare.stack = "RangeError: no frames";
    assertEquals(show(bare), "[RangeError: no frames]");
    const caused = new Error("outer", { cause: "why" });
    caused.stack = "Error: outer\n    at here (y.js:3:3)";
    assertEquals(show(caused), 'Error: outer\n    at here (y.js:3:3) {\n  [cause]: "why"\n}');
    const domException = new DOMException("gone", "AbortError");
    assertEquals(show(domException).split("\n")[0], "AbortError: gone");
  },

  "built-in platform objects show their state": () => {
    assertEquals(show(AbortSignal.abort()), "AbortSignal { aborted: true }");
    assertEquals(show(new AbortController()), "AbortController { signal: AbortSignal { aborted: false } }");
    assertEquals(show(new TextDecoder()), 'TextDecoder { encoding: "utf-8", fatal: false, ignoreBOM: false }');
    const event = show(new Event("x"));
    assertEquals(event.startsWith('Event {\n  type: "x",\n  defaultPrevented: false,\n  cancelable: false,\n  timeStamp: '), true, event);
    assertEquals(show(new EventTarget()), "EventTarget {}");
  },

  "custom inspect hook": () => {
    const value = { [Symbol.for("nodejs.util.inspect.custom")]: (depth, options, inspect) => `custom@${depth} ${inspect({ a: 1 })}` };
    assertEquals(show(value), "custom@4 { a: 1 }");
  },

  "format specifiers": () => {
    const line = (...args) => logged(() => console.log(...args))[0].slice("info|".length);
    assertEquals(line("%s %d %i %f %j %% %c|", "str", 42.5, "42.9", "1.5x", { a: 1 }, "css"), 'str 42 42 1.5 {"a":1} % |');
    assertEquals(line("%o", [1]), "[ 1, [length]: 1 ]");
    assertEquals(line("%O", { a: { b: 1 } }), "{ a: { b: 1 } }");
    assertEquals(line("%s", { a: { b: 1 } }), "{ a: [Object] }");
    assertEquals(line("%s %s", 1n, -0), "1n -0");
    assertEquals(line("%s", { toString() { return "custom"; } }), "custom");
    assertEquals(line("%d", Symbol("x")), "NaN");
    assertEquals(line("%d", 5n), "5n");
    assertEquals(line("a", "b", 1, { x: "y" }), 'a b 1 { x: "y" }');
    assertEquals(line("100%% %s"), "100%% %s");
    assertEquals(line("%s:%s", "only"), "only:%s");
    assertEquals(line("%x %s", "a"), "%x a");
    assertEquals(line(1, "two"), "1 two");
    const circular = {};
    circular.self = circular;
    assertEquals(line("%j", circular), "[Circular]");
  },

  "levels": () => {
    const records = logged(() => {
      console.log("l");
      console.info("i");
      console.debug("d");
      console.warn("w");
      console.error("e");
      console.dir({ a: "b" });
      console.dirxml("x");
      console.assert(true, "not shown");
      console.assert(false, "shown %s", "here");
      console.assert(false);
      console.assert(0, { a: 1 });
    });
    assertEquals(records, ["info|l", "info|i", "debug|d", "warn|w", "error|e", 'info|{ a: "b" }', "info|x",
      "error|Assertion failed: shown here", "error|Assertion failed", "error|Assertion failed { a: 1 }"]);
  },

  "trace includes a stack": () => {
    const [record] = logged(() => (function tracer() { console.trace("where %s", "am I"); })());
    const lines = record.split("\n");
    assertEquals(lines[0], "info|Trace: where am I");
    assertEquals(lines[1].includes("tracer"), true, record);
  },

  "count and countReset": () => {
    assertEquals(logged(() => {
      console.count();
      console.count();
      console.count("x");
      console.countReset();
      console.count();
      console.countReset("nope");
    }), ["info|default: 1", "info|default: 2", "info|x: 1", "info|default: 1", "warn|Count for 'nope' does not exist"]);
  },

  "time, timeLog, timeEnd": () => {
    const records = logged(() => {
      console.time("t");
      console.time("t");
      console.timeLog("t", "extra", { n: 1 });
      console.timeEnd("t");
      console.timeEnd("t");
    });
    assertEquals(records[0], "warn|Warning: Label 't' already exists for console.time()");
    assertEquals(/^info\|t: \d+(\.\d+)?ms extra \{ n: 1 \}$/.test(records[1]), true, records[1]);
    assertEquals(/^info\|t: \d+(\.\d+)?ms$/.test(records[2]), true, records[2]);
    assertEquals(records[3], "warn|Warning: No such label 't' for console.timeEnd()");
  },

  "groups indent every line": () => {
    assertEquals(logged(() => {
      console.group("outer");
      console.log("a\nb");
      console.groupCollapsed();
      console.warn("deep");
      console.groupEnd();
      console.groupEnd();
      console.groupEnd();
      console.log("back");
    }), ["info|outer", "info|  a\n  b", "warn|    deep", "info|back"]);
  },

  "table": () => {
    const [record] = logged(() => console.table([{ a: 1, b: "Y" }, { a: "Z", b: 2 }]));
    assertEquals(record, "info|" + [
      "\u250c\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u252c\u2500\u2500\u2500\u2500\u2500\u252c\u2500\u2500\u2500\u2500\u2500\u2510",
      "\u2502 (index) \u2502  a  \u2502  b  \u2502",
      "\u251c\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u253c\u2500\u2500\u2500\u2500\u2500\u253c\u2500\u2500\u2500\u2500\u2500\u2524",
      "\u2502    0    \u2502  1  \u2502 \"Y\" \u2502",
      "\u2502    1    \u2502 \"Z\" \u2502  2  \u2502",
      "\u2514\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2534\u2500\u2500\u2500\u2500\u2500\u2534\u2500\u2500\u2500\u2500\u2500\u2518",
    ].join("\n"));
    const [primitives] = logged(() => console.table([1, "two"]));
    assertEquals(primitives.split("\n")[1], "\u2502 (index) \u2502 Values \u2502");
    const [filtered] = logged(() => console.table([{ a: 1, b: 2 }], ["b"]));
    assertEquals(filtered.split("\n")[1], "\u2502 (index) \u2502 b \u2502");
    const [map] = logged(() => console.table(new Map([["k", "v"]])));
    assertEquals(map.split("\n")[1], "\u2502 (iteration index) \u2502 Key \u2502 Values \u2502");
    assertEquals(logged(() => console.table("plain")), ["info|plain"]);
  },

  "each call is one record": () => {
    assertEquals(logged(() => console.log("a", "b", { c: [1, 2] })).length, 1);
    assertEquals(logged(() => console.error(new Error("multi\nline"))).length, 1);
  },
};
