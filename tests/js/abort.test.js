import { assert, assertEquals, assertThrows, assertRejects } from "./assert.js";

function nextAbort(signal) {
  return new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
}

export const tests = {
  "a controller's signal starts unaborted": () => {
    const controller = new AbortController();
    const { signal } = controller;
    assert(signal instanceof AbortSignal);
    assert(signal instanceof EventTarget);
    assertEquals(signal.aborted, false);
    assertEquals(signal.reason, undefined);
    signal.throwIfAborted();
    assertEquals(controller.signal, signal);
  },

  "abort() with no reason gives an AbortError DOMException": () => {
    const controller = new AbortController();
    controller.abort();
    const { reason } = controller.signal;
    assertEquals(controller.signal.aborted, true);
    assert(reason instanceof DOMException);
    assertEquals(reason.name, "AbortError");
    assertEquals(reason.code, 20);
    const thrown = assertThrows(() => controller.signal.throwIfAborted(), DOMException);
    assertEquals(thrown, reason);
  },

  "abort(reason) keeps the reason; a second abort changes nothing": () => {
    const controller = new AbortController();
    const reason = new Error("first");
    controller.abort(reason);
    controller.abort(new Error("second"));
    assertEquals(controller.signal.reason, reason);
    assertThrows(() => controller.signal.throwIfAborted(), Error, "first");
    const other = new AbortController();
    other.abort(0);
    assertEquals(other.signal.reason, 0);
    assertThrows(() => other.signal.throwIfAborted());
  },

  "the abort event fires once, trusted, after onabort is set": () => {
    const controller = new AbortController();
    const events = [];
    controller.signal.addEventListener("abort", (e) => events.push(["listener", e.type, e.isTrusted, e.target === controller.signal]));
    controller.signal.onabort = (e) => events.push(["onabort", e.type]);
    controller.abort();
    controller.abort();
    assertEquals(events, [["listener", "abort", true, true], ["onabort", "abort"]]);
  },

  "onabort keeps its slot when replaced and leaves when set to null": () => {
    const controller = new AbortController();
    const order = [];
    const signal = controller.signal;
    assertEquals(signal.onabort, null);
    signal.onabort = () => order.push("first handler");
    signal.addEventListener("abort", () => order.push("listener"));
    const replacement = () => order.push("second handler");
    signal.onabort = replacement;
    assertEquals(signal.onabort, replacement);
    controller.abort();
    assertEquals(order, ["second handler", "listener"]);

    const other = new AbortController();
    let called = false;
    other.signal.onabort = () => { called = true; };
    other.signal.onabort = null;
    other.signal.onabort = 5;  // not an object: treated as null
    assertEquals(other.signal.onabort, null);
    other.abort();
    assertEquals(called, false);
  },

  "AbortSignal cannot be constructed": () => {
    assertThrows(() => new AbortSignal(), TypeError, "Illegal constructor");
    assertThrows(() => Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted").get.call({}), TypeError);
    assertThrows(() => AbortController.prototype.abort.call({}), TypeError);
    assertThrows(() => Object.getOwnPropertyDescriptor(AbortSignal.prototype, "onabort").get.call(new EventTarget()), TypeError);
  },

  "AbortSignal.abort()": () => {
    const signal = AbortSignal.abort();
    assertEquals(signal.aborted, true);
    assertEquals(signal.reason.name, "AbortError");
    const reason = { why: "because" };
    assertEquals(AbortSignal.abort(reason).reason, reason);
  },

  "AbortSignal.timeout aborts with a TimeoutError": async () => {
    const signal = AbortSignal.timeout(10);
    assertEquals(signal.aborted, false);
    const event = await nextAbort(signal);
    assertEquals(event.type, "abort");
    assertEquals(signal.aborted, true);
    assert(signal.reason instanceof DOMException);
    assertEquals(signal.reason.name, "TimeoutError");
    assertEquals(signal.reason.code, 23);
  },

  "AbortSignal.timeout(0) aborts asynchronously": async () => {
    const signal = AbortSignal.timeout(0);
    assertEquals(signal.aborted, false);
    await nextAbort(signal);
    assertEquals(signal.reason.name, "TimeoutError");
  },

  "AbortSignal.timeout checks its argument ([EnforceRange] unsigned long long)": () => {
    assertThrows(() => AbortSignal.timeout(), TypeError);
    assertThrows(() => AbortSignal.timeout(-1), TypeError);
    assertThrows(() => AbortSignal.timeout(NaN), TypeError);
    assertThrows(() => AbortSignal.timeout(Infinity), TypeError);
    assertThrows(() => AbortSignal.timeout(2 ** 53), TypeError);
    assertThrows(() => AbortSignal.timeout("soon"), TypeError);
  },

  "AbortSignal.any follows the first source to abort": () => {
    const a = new AbortController();
    const b = new AbortController();
    const any = AbortSignal.any([a.signal, b.signal]);
    let events = 0;
    any.addEventListener("abort", () => events++);
    assertEquals(any.aborted, false);
    const reason = new Error("b went first");
    b.abort(reason);
    assertEquals(any.aborted, true);
    assertEquals(any.reason, reason);
    a.abort(new Error("too late"));
    assertEquals(any.reason, reason);
    assertEquals(events, 1);
  },

  "AbortSignal.any with an aborted source is aborted at once": () => {
    const reason = new Error("early");
    const any = AbortSignal.any([new AbortController().signal, AbortSignal.abort(reason)]);
    assertEquals(any.aborted, true);
    assertEquals(any.reason, reason);
    assertEquals(AbortSignal.any([]).aborted, false);
  },

  "AbortSignal.any of a dependent signal depends on its sources": () => {
    const controller = new AbortController();
    const inner = AbortSignal.any([controller.signal]);
    const outer = AbortSignal.any([inner]);
    const order = [];
    inner.addEventListener("abort", () => order.push(["inner", outer.aborted]));
    outer.addEventListener("abort", () => order.push(["outer", inner.aborted]));
    controller.abort("why");
    assertEquals(outer.reason, "why");
    assertEquals(order, [["inner", true], ["outer", true]], "both reasons are set before any event");
  },

  "AbortSignal.any takes any iterable of signals and checks them": () => {
    const controller = new AbortController();
    const any = AbortSignal.any(new Set([controller.signal]));
    controller.abort();
    assertEquals(any.aborted, true);
    assertThrows(() => AbortSignal.any(), TypeError);
    assertThrows(() => AbortSignal.any(5), TypeError);
    assertThrows(() => AbortSignal.any([controller.signal, {}]), TypeError);
  },

  "AbortSignal.any with a timeout": async () => {
    const controller = new AbortController();
    const any = AbortSignal.any([controller.signal, AbortSignal.timeout(5)]);
    await nextAbort(any);
    assertEquals(any.reason.name, "TimeoutError");
    assertEquals(controller.signal.aborted, false);
  },

  "a signal can cancel pending work": async () => {
    const controller = new AbortController();
    const work = new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, 10000);
      controller.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(controller.signal.reason);
      });
    });
    controller.abort();
    const error = await assertRejects(() => work, DOMException);
    assertEquals(error.name, "AbortError");
  },

  "interfaces are WebIDL-shaped": () => {
    assertEquals(Object.prototype.toString.call(new AbortController()), "[object AbortController]");
    assertEquals(Object.prototype.toString.call(AbortSignal.abort()), "[object AbortSignal]");
    assertEquals(typeof Object.getOwnPropertyDescriptor(AbortSignal.prototype, "onabort").set, "function");
    assertEquals(Object.keys(new AbortController()), []);
    assertEquals(Object.getOwnPropertyNames(AbortSignal).sort(), ["abort", "any", "length", "name", "prototype", "timeout"]);
  },
};
