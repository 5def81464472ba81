// setTimeout/setInterval/queueMicrotask. Timers live in a JS min-heap; C++ keeps one wake-up per
// context at the earliest deadline and calls internal.runTimers(), which runs every due callback
// in one entry, with a microtask checkpoint after each (as HTML's event loop does). This keeps
// the cost per callback to a JS call instead of a C++ -> JS transition.

const heap = [];            // timers ordered by (deadline, seq)
const active = new Map();   // id -> timer, for clear*()
let nextId = 1;
let nextSeq = 0;
let armedDeadline = Infinity;
const epoch = native.eventEpoch;  // bumped per callback: each one is its own event for CPU limits

function less(a, b) {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}
function push(timer) {
  heap.push(timer);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!less(heap[i], heap[parent])) break;
    [heap[i], heap[parent]] = [heap[parent], heap[i]];
    i = parent;
  }
}
function pop() {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length > 0) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l], heap[m])) m = l;
      if (r < heap.length && less(heap[r], heap[m])) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  }
  return top;
}

function requireTimers(name) {
  if (!internal.capabilities || !internal.capabilities.timers) {
    throw new TypeError(`${name}() is not allowed for this bundle: set "capabilities.timers": true in mar.json`);
  }
}

function schedule(timer) {
  timer.seq = nextSeq++;
  push(timer);
  if (timer.deadline < armedDeadline) {
    armedDeadline = timer.deadline;
    native.armTimer(armedDeadline);
  }
}

function normalizeDelay(delay) {
  // HTML: the timeout is a WebIDL `long` (ToInt32 wrap-around); negative means 0.
  delay = delay | 0;
  return delay < 0 ? 0 : delay;
}

function addTimer(name, callback, delay, args, repeat) {
  requireTimers(name);
  if (typeof callback !== "function") {
    if (typeof callback === "string") {
      throw new TypeError(`${name}() with a string of code is not supported: code generation from strings is disabled in mar; pass a function`);
    }
    throw new TypeError(`${name}(): the first argument must be a function`);
  }
  const ms = normalizeDelay(delay);
  const timer = { id: nextId++, callback, args, delay: ms, repeat, deadline: native.now() + ms, seq: 0 };
  active.set(timer.id, timer);
  schedule(timer);
  return timer.id;
}

function clearTimer(id) {
  if (typeof id !== "number") return;
  active.delete(id);  // the heap entry is skipped when it comes up
}

internal.runTimers = () => {
  armedDeadline = Infinity;
  const now = native.now();
  const seqLimit = nextSeq;  // timers added while running wait for the next turn of the loop
  while (heap.length > 0 && heap[0].deadline <= now && heap[0].seq < seqLimit) {
    const timer = pop();
    if (active.get(timer.id) !== timer) continue;
    if (timer.repeat) {
      timer.deadline = now + Math.max(timer.delay, 1);
      schedule(timer);
    } else {
      active.delete(timer.id);
    }
    epoch[0]++;
    try {
      Reflect.apply(timer.callback, global, timer.args);
    } catch (error) {
      internal.reportError(error);
    }
    native.runMicrotasks();
  }
  if (heap.length > 0) {
    // Drop cancelled timers at the top so a cleared far-future timer does not keep a wake-up.
    while (heap.length > 0 && active.get(heap[0].id) !== heap[0]) pop();
    if (heap.length > 0) {
      armedDeadline = heap[0].deadline;
      native.armTimer(armedDeadline);
    }
  }
};

internal.pendingTimers = () => active.size;

// For built-ins that need timers (AbortSignal.timeout); still subject to capabilities.timers.
internal.setTimeout = (callback, delay, ...args) => addTimer("setTimeout", callback, delay, args, false);
internal.clearTimeout = clearTimer;

internal.reportError = (error) => {
  let text;
  try {
    text = error instanceof Error ? (error.stack || `${error.name}: ${error.message}`) : internal.inspect ? internal.inspect(error) : String(error);
  } catch {
    text = "an uncaught value that could not be printed";
  }
  native.log("error", `Uncaught ${text}`);
};

function setTimeout(callback, delay = 0, ...args) { return addTimer("setTimeout", callback, delay, args, false); }
function setInterval(callback, delay = 0, ...args) { return addTimer("setInterval", callback, delay, args, true); }
function clearTimeout(id = 0) { clearTimer(id); }
function clearInterval(id = 0) { clearTimer(id); }
const resolvedPromise = Promise.resolve();
function queueMicrotask(callback) {
  if (typeof callback !== "function") {
    throw new TypeError("queueMicrotask(): the argument must be a function");
  }
  // A rejected promise reaction is how V8 runs a microtask from JS; errors are reported, not lost.
  resolvedPromise.then(() => {
    try {
      callback();
    } catch (error) {
      internal.reportError(error);
    }
  });
}

internal.defineGlobal("setTimeout", setTimeout);
internal.defineGlobal("setInterval", setInterval);
internal.defineGlobal("clearTimeout", clearTimeout);
internal.defineGlobal("clearInterval", clearInterval);
internal.defineGlobal("queueMicrotask", queueMicrotask);
