// AbortController and AbortSignal (WHATWG DOM, "Aborting ongoing activities").
// Exports: internal.AbortSignal, internal.AbortController, internal.isAbortSignal,
// internal.newAbortSignal, internal.signalAbort, internal.addAbortAlgorithm,
// internal.createDependentAbortSignal, internal.followSignal.
//
// Memory: a source signal holds its dependent signals (AbortSignal.any) strongly until either is
// aborted, so an abort is never lost to garbage collection; the links are dropped on abort.

const { webidl, DOMException, EventTarget, Event } = internal;

const constructorKey = {};
let signalState;  // (value) => the signal's internal state, or undefined if not an AbortSignal

function stateOf(signal) {
  const state = signalState(signal);
  if (state === undefined) throw new TypeError("Illegal invocation");
  return state;
}

function isAbortSignal(value) {
  return signalState(value) !== undefined;
}

function newAbortSignal() {
  return new AbortSignal(constructorKey);
}

function defaultAbortReason() {
  return new DOMException("signal is aborted without reason", "AbortError");
}

function reportAlgorithmError(error) {
  if (typeof internal.reportError === "function") internal.reportError(error);
  else native.log("error", `Uncaught ${String(error)}`);
}

// Breaks the links between an aborted signal and its sources/dependents (they are of no further use).
function unlink(signal, state) {
  if (state.sources !== null) {
    for (const source of state.sources) signalState(source).dependents?.delete(signal);
    state.sources = null;
  }
  if (state.dependents !== null) {
    for (const dependent of state.dependents) signalState(dependent).sources?.delete(signal);
    state.dependents = null;
  }
}

// DOM "run the abort steps": abort algorithms first, then the `abort` event.
function runAbortSteps(signal, state) {
  const algorithms = state.algorithms;
  state.algorithms = new Set();
  for (const entry of algorithms) {
    try {
      entry.run();
    } catch (error) {
      reportAlgorithmError(error);
    }
  }
  internal.fireEvent(signal, new Event("abort"));
}

// DOM "signal abort".
function signalAbort(signal, reason) {
  const state = stateOf(signal);
  if (state.reason !== undefined) return;
  state.reason = reason !== undefined ? reason : defaultAbortReason();
  const dependentsToAbort = [];
  if (state.dependents !== null) {
    for (const dependent of state.dependents) {
      const dependentState = signalState(dependent);
      if (dependentState.reason === undefined) {
        dependentState.reason = state.reason;
        dependentsToAbort.push(dependent);
      }
    }
  }
  for (const dependent of dependentsToAbort) unlink(dependent, signalState(dependent));
  unlink(signal, state);
  runAbortSteps(signal, state);
  for (const dependent of dependentsToAbort) runAbortSteps(dependent, signalState(dependent));
}

// Registers `algorithm` to run when `signal` aborts (nothing happens if it already has); returns a
// function that unregisters it.
function addAbortAlgorithm(signal, algorithm) {
  const state = stateOf(signal);
  if (state.reason !== undefined) return () => {};
  const entry = { run: algorithm };
  state.algorithms.add(entry);
  return () => {
    state.algorithms.delete(entry);
  };
}

// DOM "create a dependent abort signal": aborted when any of `signals` is.
function createDependentAbortSignal(signals) {
  const result = newAbortSignal();
  const resultState = signalState(result);
  for (const signal of signals) {
    const state = stateOf(signal);
    if (state.reason !== undefined) {
      resultState.reason = state.reason;
      return result;
    }
  }
  resultState.dependent = true;
  resultState.sources = new Set();
  const link = (source) => {
    const sourceState = signalState(source);
    resultState.sources.add(source);
    if (sourceState.dependents === null) sourceState.dependents = new Set();
    sourceState.dependents.add(result);
  };
  for (const signal of signals) {
    const state = signalState(signal);
    if (!state.dependent) {
      link(signal);
    } else {
      for (const source of state.sources) link(source);
    }
  }
  return result;
}

// Makes `following` abort (with the same reason) when `parent` does.
function followSignal(following, parent) {
  if (stateOf(following).reason !== undefined) return;
  const parentState = stateOf(parent);
  if (parentState.reason !== undefined) {
    signalAbort(following, parentState.reason);
    return;
  }
  addAbortAlgorithm(parent, () => signalAbort(following, parentState.reason));
}

// The timers take a WebIDL `long` delay, so longer timeouts are armed in steps.
const kMaxTimerDelay = 2 ** 31 - 1;
function abortAfter(signal, milliseconds) {
  const step = Math.min(milliseconds, kMaxTimerDelay);
  internal.setTimeout(() => {
    if (milliseconds > step) abortAfter(signal, milliseconds - step);
    else signalAbort(signal, new DOMException("signal timed out", "TimeoutError"));
  }, step);
}

class AbortSignal extends EventTarget {
  #state = {
    reason: undefined,      // not undefined once aborted
    algorithms: new Set(),  // { run } entries
    dependent: false,
    sources: null,          // Set of source signals, for a dependent signal
    dependents: null,       // Set of dependent signals
  };

  constructor(key = undefined) {
    if (key !== constructorKey) throw new TypeError("Illegal constructor");
    super();
  }

  static {
    signalState = (value) => (value !== null && typeof value === "object" && #state in value ? value.#state : undefined);
  }

  static abort(reason = undefined) {
    const signal = newAbortSignal();
    signalState(signal).reason = reason !== undefined ? reason : defaultAbortReason();
    return signal;
  }

  static timeout(milliseconds) {
    const context = "Failed to execute 'timeout' on 'AbortSignal'";
    webidl.requireArguments(arguments.length, 1, context);
    const delay = webidl.toEnforcedUnsigned(milliseconds, Number.MAX_SAFE_INTEGER, context);
    const signal = newAbortSignal();
    abortAfter(signal, delay);
    return signal;
  }

  static any(signals) {
    const context = "Failed to execute 'any' on 'AbortSignal'";
    webidl.requireArguments(arguments.length, 1, context);
    const list = webidl.toSequence(signals, context, (item, index) => {
      if (!isAbortSignal(item)) throw new TypeError(`${context}: element ${index} is not an AbortSignal.`);
      return item;
    });
    return createDependentAbortSignal(list);
  }

  get aborted() {
    return stateOf(this).reason !== undefined;
  }

  get reason() {
    return stateOf(this).reason;
  }

  throwIfAborted() {
    const { reason } = stateOf(this);
    if (reason !== undefined) throw reason;
  }
}
internal.defineEventHandler(AbortSignal, "abort", isAbortSignal);
webidl.configureInterface(AbortSignal);

class AbortController {
  #signal = newAbortSignal();

  get signal() {
    if (!(#signal in this)) throw new TypeError("Illegal invocation");
    return this.#signal;
  }

  abort(reason = undefined) {
    if (!(#signal in this)) throw new TypeError("Illegal invocation");
    signalAbort(this.#signal, reason);
  }

  static {
    internal.isAbortController = (value) => value !== null && typeof value === "object" && #signal in value;
  }
}
webidl.configureInterface(AbortController);

internal.AbortSignal = AbortSignal;
internal.AbortController = AbortController;
internal.isAbortSignal = isAbortSignal;
internal.newAbortSignal = newAbortSignal;
internal.signalAbort = signalAbort;
internal.addAbortAlgorithm = addAbortAlgorithm;
internal.createDependentAbortSignal = createDependentAbortSignal;
internal.followSignal = followSignal;

internal.registerPlatformInterface("AbortSignal", isAbortSignal);
internal.registerPlatformInterface("AbortController", internal.isAbortController);
internal.setInspectFields(AbortSignal, (signal) => ({ aborted: stateOf(signal).reason !== undefined }));
internal.setInspectFields(AbortController, (controller) => ({ signal: controller.signal }));

internal.defineGlobal("AbortSignal", AbortSignal);
internal.defineGlobal("AbortController", AbortController);
