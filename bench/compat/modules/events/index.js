// Event, CustomEvent and EventTarget: dispatch order, once, removal, handleEvent objects, duplicate
// listeners, preventDefault and cancelable, passive listeners, stopImmediatePropagation, the
// signal option, subclassing, and the event's fields during and after dispatch.
import { attempt } from "./lib.js";

function eventFields() {
  const r = {};
  const e = new Event("ping");
  r.defaults = [e.type, e.bubbles, e.cancelable, e.composed, e.defaultPrevented, e.isTrusted, e.eventPhase, e.target, e.currentTarget];
  r.constants = [Event.NONE, Event.CAPTURING_PHASE, Event.AT_TARGET, Event.BUBBLING_PHASE];
  const c = new Event("c", { cancelable: true, bubbles: true });
  c.preventDefault();
  r.cancelable = [c.cancelable, c.bubbles, c.defaultPrevented];
  const n = new Event("n");
  n.preventDefault();
  r.notCancelable = n.defaultPrevented;
  r.noType = attempt(() => new Event());
  r.timeStampType = typeof e.timeStamp;
  const ce = new CustomEvent("custom", { detail: { k: [1, 2] } });
  r.customEvent = [ce.type, ce.detail, ce instanceof Event, new CustomEvent("x").detail];
  r.toStringTag = [Object.prototype.toString.call(e), Object.prototype.toString.call(new EventTarget())];
  return r;
}

function dispatch() {
  const r = {};
  const target = new EventTarget();
  const log = [];
  const first = (e) => log.push(["first", e.eventPhase, e.target === target, e.currentTarget === target]);
  target.addEventListener("go", first);
  target.addEventListener("go", first); // a duplicate: ignored
  target.addEventListener("go", { handleEvent: (e) => log.push(["handleEvent", e.type]) });
  target.addEventListener("go", () => log.push("once"), { once: true });
  const ev = new Event("go");
  r.dispatchResult = target.dispatchEvent(ev);
  r.afterDispatch = [ev.eventPhase, ev.target === target, ev.currentTarget];
  target.dispatchEvent(new Event("go"));
  target.removeEventListener("go", first);
  target.dispatchEvent(new Event("go"));
  r.log = log;
  r.redispatch = attempt(() => {
    const again = new EventTarget();
    again.addEventListener("x", () => {});
    const x = new Event("x");
    again.dispatchEvent(x);
    return again.dispatchEvent(x);
  });
  r.dispatchDuring = attempt(() => {
    const t = new EventTarget();
    let inner = null;
    const x = new Event("x");
    t.addEventListener("x", () => {
      inner = attempt(() => t.dispatchEvent(x));
    });
    t.dispatchEvent(x);
    return inner;
  });
  r.captureOption = attempt(() => {
    const t = new EventTarget();
    const heard = [];
    t.addEventListener("c", () => heard.push("capture"), { capture: true });
    t.addEventListener("c", () => heard.push("bubble"));
    t.dispatchEvent(new Event("c"));
    return heard;
  });
  const cancel = new EventTarget();
  cancel.addEventListener("c", (e) => e.preventDefault());
  r.cancelledResult = cancel.dispatchEvent(new Event("c", { cancelable: true }));
  r.cancelledNotCancelable = cancel.dispatchEvent(new Event("c"));
  const passive = new EventTarget();
  let passivePrevented = null;
  passive.addEventListener("p", (e) => {
    e.preventDefault();
    passivePrevented = e.defaultPrevented;
  }, { passive: true });
  r.passive = [passive.dispatchEvent(new Event("p", { cancelable: true })), passivePrevented];
  const stop = new EventTarget();
  const stopLog = [];
  stop.addEventListener("s", (e) => {
    stopLog.push(1);
    e.stopImmediatePropagation();
  });
  stop.addEventListener("s", () => stopLog.push(2));
  stop.dispatchEvent(new Event("s"));
  r.stopImmediatePropagation = stopLog;
  const removeDuring = new EventTarget();
  const removeLog = [];
  const later = () => removeLog.push("later");
  removeDuring.addEventListener("r", () => {
    removeLog.push("first");
    removeDuring.removeEventListener("r", later);
  });
  removeDuring.addEventListener("r", later);
  removeDuring.dispatchEvent(new Event("r"));
  r.removedDuringDispatch = removeLog;
  const addDuring = new EventTarget();
  const addLog = [];
  addDuring.addEventListener("a", () => {
    addLog.push("first");
    addDuring.addEventListener("a", () => addLog.push("added"));
  });
  addDuring.dispatchEvent(new Event("a"));
  r.addedDuringDispatch = addLog;
  const withSignal = new EventTarget();
  const controller = new AbortController();
  const signalLog = [];
  withSignal.addEventListener("s", () => signalLog.push("heard"), { signal: controller.signal });
  withSignal.dispatchEvent(new Event("s"));
  controller.abort();
  withSignal.dispatchEvent(new Event("s"));
  r.signalOption = signalLog;
  const withNull = new EventTarget();
  const nullLog = [];
  withNull.addEventListener("t", () => nullLog.push("heard"));
  r.nullListener = attempt(() => {
    withNull.addEventListener("t", null);
    return "ignored";
  });
  withNull.dispatchEvent(new Event("t"));
  r.nullLog = nullLog;
  r.dispatchNonEvent = attempt(() => new EventTarget().dispatchEvent({ type: "fake" }));
  r.thisInListener = (() => {
    const t = new EventTarget();
    let self = null;
    t.addEventListener("x", function () {
      self = this === t;
    });
    t.dispatchEvent(new Event("x"));
    return self;
  })();
  class Emitter extends EventTarget {
    fire() {
      return this.dispatchEvent(new CustomEvent("fired", { detail: 42 }));
    }
  }
  const em = new Emitter();
  let detail = null;
  em.addEventListener("fired", (e) => (detail = [e.detail, e.target === em, e instanceof CustomEvent]));
  em.fire();
  r.subclass = detail;
  return r;
}

export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/fields") return Response.json(eventFields());
    if (path === "/dispatch") return Response.json(dispatch());
    return new Response("not found\n", { status: 404 });
  },
};
