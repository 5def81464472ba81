import { assert, assertEquals, assertThrows } from "./assert.js";

export const tests = {
  "Event defaults and EventInit": () => {
    const plain = new Event("ping");
    assertEquals(plain.type, "ping");
    assertEquals(plain.bubbles, false);
    assertEquals(plain.cancelable, false);
    assertEquals(plain.composed, false);
    assertEquals(plain.defaultPrevented, false);
    assertEquals(plain.isTrusted, false);
    assertEquals(plain.eventPhase, Event.NONE);
    assertEquals(plain.target, null);
    assertEquals(plain.currentTarget, null);
    assertEquals(plain.srcElement, null);
    assertEquals(plain.returnValue, true);
    assertEquals(plain.cancelBubble, false);
    const full = new Event("pong", { bubbles: 1, cancelable: "yes", composed: true });
    assertEquals([full.bubbles, full.cancelable, full.composed], [true, true, true]);
  },

  "Event needs a type, converts it, and rejects a non-object init": () => {
    assertThrows(() => new Event(), TypeError, "1 argument required");
    assertEquals(new Event(42).type, "42");
    assertEquals(new Event(undefined).type, "undefined");
    assertThrows(() => new Event(Symbol("x")), TypeError);
    assertThrows(() => new Event("x", 5), TypeError);
    assertEquals(new Event("x", null).bubbles, false);
    assertThrows(() => Event("x"), TypeError);
  },

  "phase constants on Event and its prototype": () => {
    assertEquals([Event.NONE, Event.CAPTURING_PHASE, Event.AT_TARGET, Event.BUBBLING_PHASE], [0, 1, 2, 3]);
    assertEquals(Event.prototype.AT_TARGET, 2);
    assertEquals(new Event("x").BUBBLING_PHASE, 3);
  },

  "isTrusted is an own unforgeable getter": () => {
    const event = new Event("x");
    const descriptor = Object.getOwnPropertyDescriptor(event, "isTrusted");
    assertEquals(typeof descriptor.get, "function");
    assertEquals(descriptor.configurable, false);
    assertEquals(descriptor.get, Object.getOwnPropertyDescriptor(new Event("y"), "isTrusted").get);
    assertThrows(() => descriptor.get.call({}), TypeError);
  },

  "timeStamp is a high-resolution time near performance.now()": () => {
    const before = performance.now();
    const event = new Event("x");
    const after = performance.now();
    assert(event.timeStamp >= before && event.timeStamp <= after, `${before} <= ${event.timeStamp} <= ${after}`);
  },

  "getters refuse a foreign receiver": () => {
    const getter = Object.getOwnPropertyDescriptor(Event.prototype, "type").get;
    assertThrows(() => getter.call({}), TypeError, "Illegal invocation");
    assertThrows(() => Event.prototype.preventDefault.call({}), TypeError);
    assertThrows(() => EventTarget.prototype.addEventListener.call({}, "x", () => {}), TypeError);
  },

  "preventDefault only cancels cancelable events": () => {
    const target = new EventTarget();
    target.addEventListener("x", (e) => e.preventDefault());
    assertEquals(target.dispatchEvent(new Event("x")), true);
    const cancelable = new Event("x", { cancelable: true });
    assertEquals(target.dispatchEvent(cancelable), false);
    assertEquals(cancelable.defaultPrevented, true);
    assertEquals(cancelable.returnValue, false);
  },

  "returnValue = false cancels, like preventDefault": () => {
    const event = new Event("x", { cancelable: true });
    event.returnValue = true;
    assertEquals(event.defaultPrevented, false);
    event.returnValue = false;
    assertEquals(event.defaultPrevented, true);
  },

  "passive listeners cannot cancel": () => {
    const target = new EventTarget();
    let inside;
    target.addEventListener("x", (e) => { e.preventDefault(); inside = e.defaultPrevented; }, { passive: true });
    const event = new Event("x", { cancelable: true });
    assertEquals(target.dispatchEvent(event), true);
    assertEquals(inside, false);
    assertEquals(event.defaultPrevented, false);
  },

  "dispatch sets target, currentTarget, eventPhase and this": () => {
    const target = new EventTarget();
    const seen = [];
    target.addEventListener("x", function (e) {
      seen.push(this === target, e.target === target, e.currentTarget === target, e.eventPhase, e.composedPath().length, e.composedPath()[0] === target);
    });
    const event = new Event("x");
    target.dispatchEvent(event);
    assertEquals(seen, [true, true, true, Event.AT_TARGET, 1, true]);
    assertEquals(event.target, target);
    assertEquals(event.currentTarget, null);
    assertEquals(event.eventPhase, Event.NONE);
    assertEquals(event.composedPath(), []);
  },

  "capture listeners run before the others, each in order of registration": () => {
    const target = new EventTarget();
    const order = [];
    target.addEventListener("x", () => order.push("bubble 1"));
    target.addEventListener("x", () => order.push("capture 1"), true);
    target.addEventListener("x", () => order.push("bubble 2"), { capture: false });
    target.addEventListener("x", () => order.push("capture 2"), { capture: true });
    target.dispatchEvent(new Event("x"));
    assertEquals(order, ["capture 1", "capture 2", "bubble 1", "bubble 2"]);
  },

  "a listener is added once per (type, callback, capture)": () => {
    const target = new EventTarget();
    let calls = 0;
    const listener = () => calls++;
    target.addEventListener("x", listener);
    target.addEventListener("x", listener);
    target.addEventListener("x", listener, { once: true });
    target.addEventListener("x", listener, true);
    target.dispatchEvent(new Event("x"));
    assertEquals(calls, 2);
    target.removeEventListener("x", listener);
    target.dispatchEvent(new Event("x"));
    assertEquals(calls, 3);
    target.removeEventListener("x", listener, { capture: true });
    target.dispatchEvent(new Event("x"));
    assertEquals(calls, 3);
  },

  "other types are not called": () => {
    const target = new EventTarget();
    let calls = 0;
    target.addEventListener("a", () => calls++);
    target.dispatchEvent(new Event("b"));
    assertEquals(calls, 0);
  },

  "once listeners run a single time": () => {
    const target = new EventTarget();
    let calls = 0;
    target.addEventListener("x", () => calls++, { once: true });
    target.dispatchEvent(new Event("x"));
    target.dispatchEvent(new Event("x"));
    assertEquals(calls, 1);
  },

  "a once listener re-dispatching the event type runs once": () => {
    const target = new EventTarget();
    let calls = 0;
    target.addEventListener("x", () => {
      calls++;
      target.dispatchEvent(new Event("x"));
    }, { once: true });
    target.dispatchEvent(new Event("x"));
    assertEquals(calls, 1);
  },

  "listener objects: handleEvent is looked up at call time with the object as this": () => {
    const target = new EventTarget();
    const calls = [];
    const listener = { handleEvent(e) { calls.push([this === listener, e.type]); } };
    target.addEventListener("x", listener);
    target.dispatchEvent(new Event("x"));
    listener.handleEvent = function () { calls.push("replaced"); };
    target.dispatchEvent(new Event("x"));
    assertEquals(calls, [[true, "x"], "replaced"]);
  },

  "a listener removed during dispatch does not run; one added does not either": () => {
    const target = new EventTarget();
    const order = [];
    const second = () => order.push("second");
    const late = () => order.push("late");
    target.addEventListener("x", () => {
      order.push("first");
      target.removeEventListener("x", second);
      target.addEventListener("x", late);
    });
    target.addEventListener("x", second);
    target.dispatchEvent(new Event("x"));
    assertEquals(order, ["first"]);
    target.dispatchEvent(new Event("x"));
    assertEquals(order, ["first", "first", "late"]);
  },

  "stopImmediatePropagation stops the remaining listeners": () => {
    const target = new EventTarget();
    const order = [];
    target.addEventListener("x", (e) => { order.push(1); e.stopImmediatePropagation(); });
    target.addEventListener("x", () => order.push(2));
    target.dispatchEvent(new Event("x"));
    assertEquals(order, [1]);
    target.dispatchEvent(new Event("x"));
    assertEquals(order, [1, 1]);
  },

  "stopPropagation in a capture listener skips the non-capture ones": () => {
    const target = new EventTarget();
    const order = [];
    target.addEventListener("x", (e) => { order.push("capture"); e.stopPropagation(); }, true);
    target.addEventListener("x", () => order.push("capture 2"), true);
    target.addEventListener("x", () => order.push("bubble"));
    const event = new Event("x");
    target.dispatchEvent(event);
    assertEquals(order, ["capture", "capture 2"]);
    assertEquals(event.cancelBubble, false, "flags are cleared after dispatch");
  },

  "cancelBubble = true acts as stopPropagation": () => {
    const event = new Event("x");
    event.cancelBubble = false;
    assertEquals(event.cancelBubble, false);
    event.cancelBubble = true;
    assertEquals(event.cancelBubble, true);
    const target = new EventTarget();
    let called = false;
    target.addEventListener("x", () => { called = true; });
    target.dispatchEvent(event);  // propagation was stopped before dispatch
    assertEquals(called, false);
  },

  "an exception in one listener does not stop the next": () => {
    const target = new EventTarget();
    const order = [];
    target.addEventListener("x", () => { order.push(1); throw new Error("listener failure"); });
    target.addEventListener("x", { handleEvent: 5 });
    target.addEventListener("x", () => order.push(3));
    assertEquals(target.dispatchEvent(new Event("x")), true);
    assertEquals(order, [1, 3]);
  },

  "dispatchEvent checks its argument and re-entrancy": () => {
    const target = new EventTarget();
    assertThrows(() => target.dispatchEvent({ type: "x" }), TypeError);
    assertThrows(() => target.dispatchEvent(), TypeError);
    const event = new Event("x");
    let inner;
    target.addEventListener("x", () => {
      inner = assertThrows(() => target.dispatchEvent(event), DOMException);
    });
    target.dispatchEvent(event);
    assertEquals(inner.name, "InvalidStateError");
    assertEquals(target.dispatchEvent(event), true, "an event can be dispatched again afterwards");
  },

  "addEventListener argument checks": () => {
    const target = new EventTarget();
    assertThrows(() => target.addEventListener("x"), TypeError);
    assertThrows(() => target.addEventListener("x", 5), TypeError);
    assertThrows(() => target.addEventListener("x", "code"), TypeError);
    assertThrows(() => target.addEventListener("x", () => {}, { signal: null }), TypeError);
    assertThrows(() => target.addEventListener("x", () => {}, { signal: {} }), TypeError);
    target.addEventListener("x", null);
    target.addEventListener("x", undefined);
    target.removeEventListener("x", null);
    assertEquals(target.dispatchEvent(new Event("x")), true);
  },

  "a signal removes the listener when aborted": () => {
    const target = new EventTarget();
    const controller = new AbortController();
    let calls = 0;
    target.addEventListener("x", () => calls++, { signal: controller.signal });
    target.dispatchEvent(new Event("x"));
    controller.abort();
    target.dispatchEvent(new Event("x"));
    assertEquals(calls, 1);
  },

  "an already-aborted signal adds nothing": () => {
    const target = new EventTarget();
    let calls = 0;
    target.addEventListener("x", () => calls++, { signal: AbortSignal.abort() });
    target.dispatchEvent(new Event("x"));
    assertEquals(calls, 0);
  },

  "a signal aborted during dispatch removes a later listener": () => {
    const target = new EventTarget();
    const controller = new AbortController();
    const order = [];
    target.addEventListener("x", () => { order.push(1); controller.abort(); });
    target.addEventListener("x", () => order.push(2), { signal: controller.signal });
    target.dispatchEvent(new Event("x"));
    assertEquals(order, [1]);
  },

  "EventTarget subclasses work": () => {
    class Emitter extends EventTarget {
      fire(detail) { return this.dispatchEvent(new CustomEvent("data", { detail, cancelable: true })); }
    }
    const emitter = new Emitter();
    let got;
    emitter.addEventListener("data", (e) => { got = e.detail; e.preventDefault(); });
    assertEquals(emitter.fire({ n: 1 }), false);
    assertEquals(got, { n: 1 });
    assert(emitter instanceof EventTarget);
  },

  "CustomEvent detail": () => {
    assertEquals(new CustomEvent("x").detail, null);
    assertEquals(new CustomEvent("x", { detail: undefined }).detail, null);
    const detail = { deep: [1, 2] };
    const event = new CustomEvent("x", { detail, bubbles: true });
    assertEquals(event.detail, detail);
    assertEquals(event.bubbles, true);
    assert(event instanceof Event);
    assertThrows(() => new CustomEvent(), TypeError);
    assertThrows(() => Object.getOwnPropertyDescriptor(CustomEvent.prototype, "detail").get.call(new Event("x")), TypeError);
  },

  "Event subclasses keep their state": () => {
    class PingEvent extends Event {
      constructor(count) { super("ping"); this.count = count; }
    }
    const target = new EventTarget();
    let got;
    target.addEventListener("ping", (e) => { got = [e.count, e instanceof PingEvent, e.type]; });
    target.dispatchEvent(new PingEvent(3));
    assertEquals(got, [3, true, "ping"]);
  },

  "initEvent re-initializes an event that is not being dispatched": () => {
    const event = new Event("a", { cancelable: true });
    event.preventDefault();
    event.initEvent("b", true);
    assertEquals([event.type, event.bubbles, event.cancelable, event.defaultPrevented], ["b", true, false, false]);
  },

  "interfaces are WebIDL-shaped": () => {
    assertEquals(Object.prototype.toString.call(new Event("x")), "[object Event]");
    assertEquals(Object.prototype.toString.call(new EventTarget()), "[object EventTarget]");
    assertEquals(Object.prototype.toString.call(new CustomEvent("x")), "[object CustomEvent]");
    assertEquals(Object.getOwnPropertyDescriptor(Event.prototype, "type").enumerable, true);
    assertEquals(Object.getOwnPropertyDescriptor(EventTarget.prototype, "dispatchEvent").enumerable, true);
    for (const name of ["Event", "EventTarget", "CustomEvent"]) {
      assertEquals(Object.getOwnPropertyDescriptor(globalThis, name).enumerable, false, name);
    }
    assertEquals(Object.keys(new EventTarget()), []);
    assertEquals(Object.keys(new Event("x")), ["isTrusted"]);
  },
};
