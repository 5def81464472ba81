// Dev-only stand-in for native.structuredClone (V8's ValueSerializer), evaluated inside the test
// context so that clones belong to that context's realm.
(function () {
  "use strict";
  function fail(value) {
    let text;
    try { text = typeof value === "symbol" ? value.toString() : typeof value === "function" ? Function.prototype.toString.call(value) : "#<" + (value.constructor && value.constructor.name || "Object") + ">"; } catch { text = "#<Object>"; }
    const error = new Error(`${text} could not be cloned.`);
    error.name = "DataCloneError";
    throw error;
  }
  const tag = (v) => Object.prototype.toString.call(v);
  return function clone(root) {
    const memo = new Map();
    function walk(value) {
      if (typeof value === "symbol" || typeof value === "function") fail(value);
      if (value === null || typeof value !== "object") return value;
      if (memo.has(value)) return memo.get(value);
      const kind = tag(value);
      let out;
      const props = (target) => {
        memo.set(value, target);
        for (const key of Object.keys(value)) target[key] = walk(value[key]);
        return target;
      };
      if (Array.isArray(value)) return props(new Array(value.length));
      if (ArrayBuffer.isView(value)) {
        const buffer = walk(value.buffer);
        out = kind === "[object DataView]" ? new DataView(buffer, value.byteOffset, value.byteLength)
          : new value.constructor(buffer, value.byteOffset, value.length);
        memo.set(value, out);
        return out;
      }
      switch (kind) {
        case "[object ArrayBuffer]": out = value.slice(0); memo.set(value, out); return out;
        case "[object Date]": out = new Date(value.getTime()); memo.set(value, out); return out;
        case "[object RegExp]": out = new RegExp(value.source, value.flags); memo.set(value, out); return out;
        case "[object Map]": out = new Map(); memo.set(value, out); for (const [k, v] of value) out.set(walk(k), walk(v)); return out;
        case "[object Set]": out = new Set(); memo.set(value, out); for (const v of value) out.add(walk(v)); return out;
        case "[object Error]": {
          out = new Error(value.message);
          memo.set(value, out);
          if (["EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError"].includes(value.name)) Object.setPrototypeOf(out, globalThis[value.name].prototype);
          out.stack = value.stack;
          if ("cause" in value) out.cause = walk(value.cause);
          return out;
        }
        case "[object Number]": case "[object String]": case "[object Boolean]": case "[object BigInt]":
          out = Object(value.valueOf()); memo.set(value, out); return out;
        case "[object Promise]": case "[object WeakMap]": case "[object WeakSet]": case "[object Symbol]": fail(value);
      }
      return props({});
    }
    return walk(root);
  };
})()
