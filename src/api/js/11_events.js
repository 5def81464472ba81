// Event, CustomEvent and EventTarget (WHATWG DOM, "Events"). There is no node tree here, so an
// event's path is just its target: listeners run in the capturing then bubbling invocation at the
// target, both with eventPhase AT_TARGET, as the DOM specifies for a target without parents.
// Exports: internal.Event, internal.CustomEvent, internal.EventTarget, internal.isEvent,
// internal.isEventTarget, internal.fireEvent, internal.defineEventHandler.

const { webidl, DOMException } = internal;

const NONE = 0;
const CAPTURING_PHASE = 1;
const AT_TARGET = 2;
const BUBBLING_PHASE = 3;

let eventState;      // (value) => the event's internal state, or undefined if not an Event
let targetListeners; // (value) => the target's Map(type -> listener records), or undefined
let isCustomEvent;   // (value) => whether value is a CustomEvent

function newEventState(type, bubbles, cancelable, composed) {
  return {
    type,
    bubbles,
    cancelable,
    composed,
    target: null,
    currentTarget: null,
    eventPhase: NONE,
    stopPropagation: false,
    stopImmediatePropagation: false,
    canceled: false,
    inPassiveListener: false,
    dispatching: false,
    isTrusted: false,
    timeStamp: native.now(),
  };
}

function stateOf(event) {
  const state = eventState(event);
  if (state === undefined) throw new TypeError("Illegal invocation");
  return state;
}

// [LegacyUnforgeable] isTrusted lives on each instance, with one shared getter.
const isTrustedGetter = Object.getOwnPropertyDescriptor({
  get isTrusted() {
    return stateOf(this).isTrusted;
  },
}, "isTrusted").get;

function cancel(state) {
  if (state.cancelable && !state.inPassiveListener) state.canceled = true;
}

class Event {
  #state;

  constructor(type, eventInitDict = undefined) {
    webidl.requireArguments(arguments.length, 1, "Failed to construct 'Event'");
    type = webidl.toDOMString(type, "Failed to construct 'Event'");
    const init = webidl.toDictionary(eventInitDict, "Failed to construct 'Event'");
    // Dictionary members are read in lexicographic order, as WebIDL converts them.
    const bubbles = !!init.bubbles;
    const cancelable = !!init.cancelable;
    const composed = !!init.composed;
    this.#state = newEventState(type, bubbles, cancelable, composed);
    Object.defineProperty(this, "isTrusted", { get: isTrustedGetter, enumerable: true, configurable: false });
  }

  static {
    eventState = (value) => (value !== null && typeof value === "object" && #state in value ? value.#state : undefined);
  }

  get type() { return stateOf(this).type; }
  get target() { return stateOf(this).target; }
  get srcElement() { return stateOf(this).target; }
  get currentTarget() { return stateOf(this).currentTarget; }
  get eventPhase() { return stateOf(this).eventPhase; }
  get bubbles() { return stateOf(this).bubbles; }
  get cancelable() { return stateOf(this).cancelable; }
  get composed() { return stateOf(this).composed; }
  get defaultPrevented() { return stateOf(this).canceled; }
  get timeStamp() { return stateOf(this).timeStamp; }

  get cancelBubble() { return stateOf(this).stopPropagation; }
  set cancelBubble(value) {
    const state = stateOf(this);
    if (value) state.stopPropagation = true;
  }

  get returnValue() { return !stateOf(this).canceled; }
  set returnValue(value) {
    const state = stateOf(this);
    if (!value) cancel(state);
  }

  composedPath() {
    const state = stateOf(this);
    return state.dispatching ? [state.currentTarget] : [];
  }

  stopPropagation() {
    stateOf(this).stopPropagation = true;
  }

  stopImmediatePropagation() {
    const state = stateOf(this);
    state.stopPropagation = true;
    state.stopImmediatePropagation = true;
  }

  preventDefault() {
    cancel(stateOf(this));
  }

  // Legacy, kept because old code still calls it.
  initEvent(type, bubbles = false, cancelable = false) {
    const state = stateOf(this);
    webidl.requireArguments(arguments.length, 1, "Failed to execute 'initEvent' on 'Event'");
    type = webidl.toDOMString(type, "Failed to execute 'initEvent' on 'Event'");
    if (state.dispatching) return;
    state.stopPropagation = false;
    state.stopImmediatePropagation = false;
    state.canceled = false;
    state.isTrusted = false;
    state.target = null;
    state.type = type;
    state.bubbles = !!bubbles;
    state.cancelable = !!cancelable;
  }
}

for (const [name, value] of [["NONE", NONE], ["CAPTURING_PHASE", CAPTURING_PHASE], ["AT_TARGET", AT_TARGET], ["BUBBLING_PHASE", BUBBLING_PHASE]]) {
  const descriptor = { value, writable: false, enumerable: true, configurable: false };
  Object.defineProperty(Event, name, descriptor);
  Object.defineProperty(Event.prototype, name, descriptor);
}
webidl.configureInterface(Event);

class CustomEvent extends Event {
  #detail;

  constructor(type, eventInitDict = undefined) {
    webidl.requireArguments(arguments.length, 1, "Failed to construct 'CustomEvent'");
    type = webidl.toDOMString(type, "Failed to construct 'CustomEvent'");
    const init = webidl.toDictionary(eventInitDict, "Failed to construct 'CustomEvent'");
    super(type, init);
    const detail = init.detail;
    this.#detail = detail === undefined ? null : detail;
  }

  static {
    isCustomEvent = (value) => value !== null && typeof value === "object" && #detail in value;
  }

  get detail() {
    if (!(#detail in this)) throw new TypeError("Illegal invocation");
    return this.#detail;
  }

  // Legacy, kept because old code still calls it.
  initCustomEvent(type, bubbles = false, cancelable = false, detail = null) {
    if (!(#detail in this)) throw new TypeError("Illegal invocation");
    webidl.requireArguments(arguments.length, 1, "Failed to execute 'initCustomEvent' on 'CustomEvent'");
    if (stateOf(this).dispatching) return;
    this.initEvent(type, bubbles, cancelable);
    this.#detail = detail;
  }
}
webidl.configureInterface(CustomEvent);

// ---- EventTarget ---------------------------------------------------------------------------------

function reportListenerError(error) {
  if (typeof internal.reportError === "function") {
    internal.reportError(error);
    return;
  }
  let text;
  try {
    text = typeof internal.inspect === "function" ? internal.inspect(error) : String(error);
  } catch {
    text = "an exception that could not be printed";
  }
  native.log("error", `Uncaught ${text}`);
}

function listenersOf(target) {
  const listeners = targetListeners(target);
  if (listeners === undefined) throw new TypeError("Illegal invocation");
  return listeners;
}

// The `capture` of an options argument: a boolean, or a dictionary with a `capture` member.
function flattenCapture(options) {
  if (options === undefined || options === null) return false;
  if (typeof options === "object" || typeof options === "function") return !!options.capture;
  return !!options;
}

function removeListener(listeners, record) {
  if (record.removed) return;
  record.removed = true;
  const list = listeners.get(record.type);
  const index = list.indexOf(record);
  if (index !== -1) list.splice(index, 1);
  if (list.length === 0) listeners.delete(record.type);
  if (record.removeAbortAlgorithm !== null) {
    record.removeAbortAlgorithm();
    record.removeAbortAlgorithm = null;
  }
}

function addListener(listeners, record) {
  let list = listeners.get(record.type);
  if (list === undefined) {
    list = [];
    listeners.set(record.type, list);
  }
  list.push(record);
}

function callListener(callback, event, currentTarget) {
  try {
    if (typeof callback === "function") {
      Reflect.apply(callback, currentTarget, [event]);
    } else {
      const handleEvent = callback.handleEvent;
      if (typeof handleEvent !== "function") {
        throw new TypeError("The event listener's 'handleEvent' property is not a function.");
      }
      Reflect.apply(handleEvent, callback, [event]);
    }
  } catch (error) {
    reportListenerError(error);
  }
}

// The DOM's "inner invoke" for the one target of the path.
function invoke(listeners, event, state, capturing) {
  if (state.stopPropagation) return;
  const list = listeners.get(state.type);
  if (list === undefined) return;
  // Listeners added during dispatch do not run; removed ones are skipped by their flag.
  for (const record of list.slice()) {
    if (record.removed || record.capture !== capturing) continue;
    if (record.once) removeListener(listeners, record);
    if (record.passive) state.inPassiveListener = true;
    callListener(record.callback, event, state.currentTarget);
    state.inPassiveListener = false;
    if (state.stopImmediatePropagation) return;
  }
}

function dispatch(target, event, state) {
  const listeners = listenersOf(target);
  state.dispatching = true;
  state.target = target;
  state.currentTarget = target;
  state.eventPhase = AT_TARGET;
  try {
    invoke(listeners, event, state, true);
    invoke(listeners, event, state, false);
  } finally {
    state.eventPhase = NONE;
    state.currentTarget = null;
    state.dispatching = false;
    state.stopPropagation = false;
    state.stopImmediatePropagation = false;
  }
  return !state.canceled;
}

class EventTarget {
  #listeners = new Map();

  static {
    targetListeners = (value) => (value !== null && typeof value === "object" && #listeners in value ? value.#listeners : undefined);
  }

  addEventListener(type, callback, options = undefined) {
    const listeners = listenersOf(this);
    const context = "Failed to execute 'addEventListener' on 'EventTarget'";
    webidl.requireArguments(arguments.length, 2, context);
    type = webidl.toDOMString(type, context);
    if (callback !== null && callback !== undefined && typeof callback !== "object" && typeof callback !== "function") {
      throw new TypeError(`${context}: parameter 2 is not of type 'Object'.`);
    }
    let capture = false;
    let once = false;
    let passive = false;
    let signal = null;
    if (options === undefined || options === null || typeof options === "object" || typeof options === "function") {
      if (options !== undefined && options !== null) {
        capture = !!options.capture;
        once = !!options.once;
        passive = !!options.passive;
        const signalOption = options.signal;
        if (signalOption !== undefined) {
          if (!internal.isAbortSignal(signalOption)) {
            throw new TypeError(`${context}: Failed to read the 'signal' property from 'AddEventListenerOptions': the value is not an AbortSignal.`);
          }
          signal = signalOption;
        }
      }
    } else {
      capture = !!options;
    }
    if (signal !== null && signal.aborted) return;
    if (callback === null || callback === undefined) return;
    const list = listeners.get(type);
    if (list !== undefined && list.some((record) => record.callback === callback && record.capture === capture)) return;
    const record = { type, callback, capture, once, passive, removed: false, removeAbortAlgorithm: null };
    addListener(listeners, record);
    if (signal !== null) {
      record.removeAbortAlgorithm = internal.addAbortAlgorithm(signal, () => {
        record.removeAbortAlgorithm = null;
        removeListener(listeners, record);
      });
    }
  }

  removeEventListener(type, callback, options = undefined) {
    const listeners = listenersOf(this);
    const context = "Failed to execute 'removeEventListener' on 'EventTarget'";
    webidl.requireArguments(arguments.length, 2, context);
    type = webidl.toDOMString(type, context);
    if (callback !== null && callback !== undefined && typeof callback !== "object" && typeof callback !== "function") {
      throw new TypeError(`${context}: parameter 2 is not of type 'Object'.`);
    }
    const capture = flattenCapture(options);
    const list = listeners.get(type);
    if (list === undefined) return;
    const record = list.find((candidate) => candidate.callback === callback && candidate.capture === capture);
    if (record !== undefined) removeListener(listeners, record);
  }

  dispatchEvent(event) {
    listenersOf(this);
    const context = "Failed to execute 'dispatchEvent' on 'EventTarget'";
    webidl.requireArguments(arguments.length, 1, context);
    const state = eventState(event);
    if (state === undefined) throw new TypeError(`${context}: parameter 1 is not of type 'Event'.`);
    if (state.dispatching) throw new DOMException("The event is already being dispatched.", "InvalidStateError");
    state.isTrusted = false;
    return dispatch(this, event, state);
  }
}
webidl.configureInterface(EventTarget);

// ---- Event handler IDL attributes (`onabort`, ...) ---------------------------------------------
// The handler occupies one listener slot, taken when first set to a non-null value and kept while
// it is replaced, so its place among the other listeners is stable (HTML "event handlers").
const eventHandlers = new WeakMap();  // target -> Map(type -> { value, record })

internal.defineEventHandler = (klass, type, isInstance = internal.isEventTarget) => {
  const name = `on${type}`;
  const accessors = {
    get [name]() {
      if (!isInstance(this)) throw new TypeError("Illegal invocation");
      const slot = eventHandlers.get(this)?.get(type);
      return slot === undefined ? null : slot.value;
    },
    set [name](value) {
      if (!isInstance(this)) throw new TypeError("Illegal invocation");
      const listeners = listenersOf(this);
      // [LegacyTreatNonObjectAsNull]: anything that is not an object means "no handler".
      const handler = value !== null && (typeof value === "object" || typeof value === "function") ? value : null;
      let slots = eventHandlers.get(this);
      let slot = slots?.get(type);
      if (handler === null) {
        if (slot !== undefined) {
          removeListener(listeners, slot.record);
          slots.delete(type);
        }
        return;
      }
      if (slot !== undefined) {
        slot.value = handler;
        return;
      }
      if (slots === undefined) {
        slots = new Map();
        eventHandlers.set(this, slots);
      }
      slot = { value: handler, record: null };
      const callback = function (event) {
        const current = slot.value;
        if (typeof current !== "function") throw new TypeError(`The ${name} handler is not a function.`);
        if (Reflect.apply(current, this, [event]) === false) event.preventDefault();
      };
      slot.record = { type, callback, capture: false, once: false, passive: false, removed: false, removeAbortAlgorithm: null };
      slots.set(type, slot);
      addListener(listeners, slot.record);
    },
  };
  const descriptor = Object.getOwnPropertyDescriptor(accessors, name);
  Object.defineProperty(klass.prototype, name, { get: descriptor.get, set: descriptor.set, enumerable: true, configurable: true });
};

// Dispatches `event` (an Event or a type name) as the platform does: isTrusted is true.
internal.fireEvent = (target, event) => {
  if (typeof event === "string") event = new Event(event);
  const state = stateOf(event);
  state.isTrusted = true;
  return dispatch(target, event, state);
};

internal.Event = Event;
internal.CustomEvent = CustomEvent;
internal.EventTarget = EventTarget;
internal.isEvent = (value) => eventState(value) !== undefined;
internal.isEventTarget = (value) => targetListeners(value) !== undefined;

internal.registerPlatformInterface("Event", internal.isEvent);
internal.registerPlatformInterface("CustomEvent", isCustomEvent);
internal.registerPlatformInterface("EventTarget", internal.isEventTarget);
internal.setInspectFields(Event, (event) => {
  const state = stateOf(event);
  return { type: state.type, defaultPrevented: state.canceled, cancelable: state.cancelable, timeStamp: state.timeStamp };
});
internal.setInspectFields(CustomEvent, (event) => {
  const state = stateOf(event);
  return { type: state.type, detail: event.detail, defaultPrevented: state.canceled, cancelable: state.cancelable, timeStamp: state.timeStamp };
});

internal.defineGlobal("Event", Event);
internal.defineGlobal("CustomEvent", CustomEvent);
internal.defineGlobal("EventTarget", EventTarget);
