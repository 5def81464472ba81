// Throwing setters on built-in prototypes must not reach the runtime's own C++ (it would abort).
Object.defineProperty(Array.prototype, 0, { set() { throw new Error("trap"); }, configurable: true });
Object.defineProperty(Array.prototype, 1, { set() { throw new Error("trap"); }, configurable: true });
Object.defineProperty(Error.prototype, "name", { set() { throw new Error("trap"); }, get() { return "X"; }, configurable: true });
export default { fetch(request) {
  const out = new TextEncoder().encodeInto("hé", new Uint8Array(8));
  let cloneError = "";
  try { structuredClone(() => 1); } catch (e) { cloneError = e.constructor.name; }
  return new Response(JSON.stringify({ out, h: request.headers.get("host"), cloneError }));
} };
