// Minimal assertions for the built-in JS test files (tests/js/*.test.js). A test file exports
//   export const tests = { "what it checks": () => { ... } | async () => { ... }, ... };
// and the runner (tests/js_api_test.cc) runs each entry in a fresh mar context.
export class AssertionError extends Error {
  constructor(message) { super(message); this.name = "AssertionError"; }
}
function show(v) {
  try { return typeof v === "string" ? JSON.stringify(v) : typeof v === "bigint" ? `${v}n` : String(v) === "[object Object]" ? JSON.stringify(v) : String(v); }
  catch { return Object.prototype.toString.call(v); }
}
export function assert(cond, message = "assertion failed") {
  if (!cond) throw new AssertionError(message);
}
function deepEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a) || a instanceof ArrayBuffer) {
    const x = new Uint8Array(a.buffer ?? a, a.byteOffset ?? 0, a.byteLength);
    const y = new Uint8Array(b.buffer ?? b, b.byteOffset ?? 0, b.byteLength);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  if (a instanceof Map) return a.size === b.size && [...a].every(([k, v]) => b.has(k) && deepEqual(v, b.get(k)));
  if (a instanceof Set) return a.size === b.size && [...a].every((k) => b.has(k));
  if (a instanceof Date) return a.getTime() === b.getTime();
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
}
export function assertEquals(actual, expected, message) {
  if (!deepEqual(actual, expected)) {
    throw new AssertionError(`${message ? message + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  }
}
export function assertThrows(fn, ErrorClass, messageIncludes) {
  try { fn(); } catch (e) {
    if (ErrorClass && !(e instanceof ErrorClass)) throw new AssertionError(`expected ${ErrorClass.name}, got ${e && e.name}: ${e && e.message}`);
    if (messageIncludes && !String(e.message).includes(messageIncludes)) throw new AssertionError(`error message ${show(e.message)} does not include ${show(messageIncludes)}`);
    return e;
  }
  throw new AssertionError(`expected ${ErrorClass ? ErrorClass.name : "an exception"}, nothing was thrown`);
}
export async function assertRejects(fn, ErrorClass, messageIncludes) {
  try { await fn(); } catch (e) {
    if (ErrorClass && !(e instanceof ErrorClass)) throw new AssertionError(`expected ${ErrorClass.name}, got ${e && e.name}: ${e && e.message}`);
    if (messageIncludes && !String(e.message).includes(messageIncludes)) throw new AssertionError(`error message ${show(e.message)} does not include ${show(messageIncludes)}`);
    return e;
  }
  throw new AssertionError(`expected a rejection with ${ErrorClass ? ErrorClass.name : "an error"}, it resolved`);
}
