// AbortController and AbortSignal: abort state and reason (the default DOMException AbortError and
// custom reasons), the abort event (once, onabort, listeners added later), throwIfAborted,
// AbortSignal.abort and AbortSignal.any.
import { attempt } from "./lib.js";
const reasonOf = (r) => (r instanceof DOMException ? [r.name, r.code, r instanceof Error] : r === undefined ? "undefined" : r);

function cases() {
  const r = {};
  const c = new AbortController();
  const s = c.signal;
  r.initial = [s.aborted, reasonOf(s.reason), s instanceof AbortSignal, s instanceof EventTarget, c.signal === s];
  r.throwIfNotAborted = attempt(() => s.throwIfAborted() ?? "no throw");
  const log = [];
  s.addEventListener("abort", (e) => log.push(["listener", e.type, e.target === s, e.isTrusted, s.aborted]));
  s.onabort = (e) => log.push(["onabort", e.type]);
  s.addEventListener("abort", () => log.push("once"), { once: true });
  c.abort();
  r.afterAbort = [s.aborted, reasonOf(s.reason)];
  c.abort("again");
  r.secondAbortKeepsReason = reasonOf(s.reason);
  s.addEventListener("abort", () => log.push("late"));
  r.events = log;
  r.throwIfAborted = attempt(() => s.throwIfAborted());
  const custom = new AbortController();
  custom.abort({ why: "custom" });
  r.customReason = custom.signal.reason;
  const withError = new AbortController();
  withError.abort(new RangeError("r"));
  r.errorReason = attempt(() => withError.signal.throwIfAborted());
  const undefinedReason = new AbortController();
  undefinedReason.abort(undefined);
  r.undefinedReason = reasonOf(undefinedReason.signal.reason);
  const pre = AbortSignal.abort();
  r.staticAbort = [pre.aborted, reasonOf(pre.reason)];
  r.staticAbortReason = AbortSignal.abort("r2").reason;
  r.constructSignal = attempt(() => new AbortSignal());
  if (typeof AbortSignal.any === "function") {
    const a = new AbortController();
    const b = new AbortController();
    const any = AbortSignal.any([a.signal, b.signal]);
    const anyLog = [];
    any.addEventListener("abort", () => anyLog.push(reasonOf(any.reason)));
    r.anyBefore = any.aborted;
    b.abort("b first");
    a.abort("a second");
    r.anyAfter = [any.aborted, reasonOf(any.reason), anyLog];
    r.anyAlreadyAborted = reasonOf(AbortSignal.any([new AbortController().signal, AbortSignal.abort("pre")]).reason);
    r.anyEmpty = AbortSignal.any([]).aborted;
  } else {
    r.any = "absent";
  }
  r.timeoutIsFunction = typeof AbortSignal.timeout;
  r.toStringTag = [Object.prototype.toString.call(c), Object.prototype.toString.call(s)];
  return r;
}

export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/cases") return Response.json(cases());
    if (path === "/request-signal") {
      const controller = new AbortController();
      const req = new Request("https://example.com/", { signal: controller.signal });
      controller.abort();
      return Response.json({ followed: req.signal.aborted, incoming: request.signal instanceof AbortSignal });
    }
    return new Response("not found\n", { status: 404 });
  },
};
