// setTimeout/setInterval/queueMicrotask. Timers live in a JS min-heap; C++ keeps one wake-up per
// context at the earliest deadline and calls internal.runTimers(), which runs every due callback
// in one entry, with a microtask checkpoint after each (as HTML's event loop does). This keeps
// the cost per callback to a JS call instead of a C++ -> JS transition.

// Timers with the same delay are created in deadline order, so each delay gets a FIFO list and
// only the lists sit in a min-heap (keyed by their head's deadline), as in Node. Scheduling is
// O(1) for the common case of few distinct delays; firing is O(log lists).
// Kept small: a million live timers are a million objects for the scavenger to copy. The delay is
// its list's; a cleared timer has no callback.
class Timer {
  constructor(id, callback, args, repeat, deadline, owner) {
    this.owner = owner;  // the actor that set it (null: the bundle's own code, or the runtime)
    this.id = id;
    this.callback = callback;  // null once cleared
    this.args = args;
    this.repeat = repeat;
    this.deadline = deadline;
    this.seq = 0;
  }
}
// Timers are kept in chunks of kChunk slots, never in one array per list or table: growing a
// million-entry array copies it over and over and takes fresh large-object pages each time (a
// fifth of a 1M setTimeout(0) run went there, measured), while chunks are plain small arrays.
const kChunkBits = 10;
const kChunk = 1 << kChunkBits;
const kChunkMask = kChunk - 1;

// The timers of one delay, oldest first.
class TimerList {
  constructor(delay) {
    this.delay = delay;
    this.chunks = [];    // chunks[0] is read from `head`, the last chunk written at `tail`
    this.head = 0;
    this.tail = kChunk;  // kChunk: the last chunk is full (or there is none)
    this.count = 0;
    this.heapIndex = -1;
  }
  push(timer) {
    if (this.tail === kChunk) {
      this.chunks.push(new Array(kChunk));
      this.tail = 0;
    }
    this.chunks[this.chunks.length - 1][this.tail++] = timer;
    this.count++;
  }
  first() { return this.chunks[0][this.head]; }
  shift() {
    const chunk = this.chunks[0];
    const timer = chunk[this.head];
    chunk[this.head++] = undefined;
    this.count--;
    if (this.head === kChunk) {
      this.chunks.shift();
      this.head = 0;
    }
    return timer;
  }
  get size() { return this.count; }
}

// id -> Timer, for clear*(). Ids are handed out in increasing order and timers mostly end in
// about the order they began, so a window of slots indexed by id is enough: one array read per
// lookup, no hashing (a Map here cost more than half of a setTimeout(0) round at 1M timers). The
// window's front slides past ended timers; a long-lived timer that would pin it while the window
// is large and mostly empty moves to a Map of old timers instead.
class TimerTable {
  constructor() {
    this.chunks = [];  // slot p, counted from the start of chunks[0], holds id low + (p - head)
    this.head = 0;     // the window's first slot (< kChunk)
    this.end = 0;      // one past its last slot
    this.low = 1;      // the id of slot `head`
    this.live = 0;     // timers in the window
    this.old = new Map();
  }
  get size() { return this.live + this.old.size; }
  add(timer) {
    const p = this.head + (timer.id - this.low);  // ids only grow: at or past `end`
    while (this.chunks.length << kChunkBits <= p) this.chunks.push(new Array(kChunk));
    this.chunks[p >> kChunkBits][p & kChunkMask] = timer;
    this.end = p + 1;
    this.live++;
  }
  get(id) {
    if (id < this.low) return this.old.get(id);
    const p = this.head + (id - this.low);
    return p < this.end ? this.chunks[p >> kChunkBits][p & kChunkMask] : undefined;
  }
  delete(id) {
    if (id < this.low) {
      this.old.delete(id);
      return;
    }
    const p = this.head + (id - this.low);
    if (p >= this.end) return;
    const chunk = this.chunks[p >> kChunkBits];
    if (chunk[p & kChunkMask] === undefined) return;
    chunk[p & kChunkMask] = undefined;
    this.live--;
    this.trim();
  }
  trim() {
    while (this.head < this.end) {
      const chunk = this.chunks[0];
      const first = chunk[this.head];
      if (first !== undefined) {
        const span = this.end - this.head;
        if (span < 4096 || this.live * 4 > span) break;
        this.old.set(first.id, first);  // pins a large, mostly empty window: set it aside
        chunk[this.head] = undefined;
        this.live--;
      }
      this.head++;
      this.low++;
      if (this.head === kChunk) {
        this.chunks.shift();
        this.head = 0;
        this.end -= kChunk;
      }
    }
  }
}

const lists = new Map();    // delay -> TimerList
const heap = [];            // TimerLists ordered by their first timer's (deadline, seq)
const active = new TimerTable();
let nextId = 1;
let nextSeq = 0;
let armedDeadline = Infinity;
let epoch;  // native.eventEpoch: bumped per callback, each one is its own event for CPU limits
internal.onInstance(() => {
  epoch = native.eventEpoch;
});

function less(a, b) {
  const x = a.first(), y = b.first();
  return x.deadline < y.deadline || (x.deadline === y.deadline && x.seq < y.seq);
}
function place(list, i) {
  heap[i] = list;
  list.heapIndex = i;
}
function siftUp(i) {
  const list = heap[i];
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!less(list, heap[parent])) break;
    place(heap[parent], i);
    i = parent;
  }
  place(list, i);
}
function siftDown(i) {
  const list = heap[i];
  for (;;) {
    const l = 2 * i + 1, r = l + 1;
    let m = -1;
    if (l < heap.length && less(heap[l], list)) m = l;
    if (r < heap.length && less(heap[r], m === -1 ? list : heap[m])) m = r;
    if (m === -1) break;
    place(heap[m], i);
    i = m;
  }
  place(list, i);
}

function requireTimers(name) {
  // An actor spawned with a narrower capability set is held to that set.
  const actor = internal.currentActor();
  if (actor !== null && actor.caps !== null) {
    if (!actor.caps.timers) {
      throw new TypeError(`${name}() is not allowed for actor ${actor.address}: it was spawned without "timers" in its capabilities`);
    }
    return;
  }
  if (!internal.capabilities || !internal.capabilities.timers) {
    throw new TypeError(`${name}() is not allowed for this bundle: set "capabilities.timers": true in mar.json`);
  }
}

function schedule(timer, delay) {
  timer.seq = nextSeq++;
  let list = lists.get(delay);
  if (list === undefined) {
    list = new TimerList(delay);
    lists.set(delay, list);
  }
  list.push(timer);
  if (list.heapIndex === -1) {
    heap.push(list);
    siftUp(heap.length - 1);
  }
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

function addTimer(name, callback, delay, args, repeat, system = false) {
  if (!system) requireTimers(name);
  if (typeof callback !== "function") {
    if (typeof callback === "string") {
      throw new TypeError(`${name}() with a string of code is not supported: code generation from strings is disabled in mar; pass a function`);
    }
    throw new TypeError(`${name}(): the first argument must be a function`);
  }
  const ms = normalizeDelay(delay);
  const id = nextId++;
  const owner = system ? null : internal.actorOwnsTimer(id);
  const timer = new Timer(id, callback, args, repeat, native.now() + ms, owner);
  active.add(timer);
  schedule(timer, ms);
  return timer.id;
}

function clearTimer(id) {
  if (typeof id !== "number") return;
  const timer = active.get(id);
  if (timer === undefined) return;
  timer.callback = null;  // its list entry is skipped when it comes up
  active.delete(id);
}

// Drops cancelled timers at the head of `list`, then restores the heap; an emptied list leaves it.
function settleList(list) {
  while (list.size > 0 && list.first().callback === null) list.shift();
  const index = list.heapIndex;
  if (list.size > 0) {
    siftDown(index);
    return;
  }
  lists.delete(list.delay);
  list.heapIndex = -1;
  const last = heap.pop();
  if (last !== list) {
    place(last, index);
    siftDown(index);
    siftUp(last.heapIndex);
  }
}

internal.runTimers = () => {
  armedDeadline = Infinity;
  const now = native.now();
  internal.touchClock();
  const seqLimit = nextSeq;  // timers added while running wait for the next turn of the loop
  while (heap.length > 0) {
    const list = heap[0];
    const timer = list.first();
    if (timer.callback === null) {
      list.shift();
      settleList(list);
      continue;
    }
    if (timer.deadline > now || timer.seq >= seqLimit) break;
    list.shift();
    if (timer.repeat) {
      timer.deadline = now + Math.max(list.delay, 1);
      timer.seq = nextSeq++;
      list.push(timer);
    } else {
      active.delete(timer.id);
      if (timer.owner !== null) internal.actorTimerDone(timer.owner, timer.id);
    }
    settleList(list);
    epoch[0]++;
    const owner = timer.owner;
    if (owner !== null) {
      // An actor's timer runs as that actor: its errors crash it, a limit hit here stops only it.
      internal.enterActor(owner);
      internal.setDelivering(owner);
    }
    try {
      if (timer.args === null) timer.callback.call(global);
      else Reflect.apply(timer.callback, global, timer.args);
    } catch (error) {
      if (owner === null || !internal.actorUncaught(owner, error, "a timer callback threw")) internal.reportError(error);
    }
    if (owner !== null) {
      internal.setDelivering(null);
      internal.enterActor(null);
    }
    native.runMicrotasks();
  }
  if (heap.length > 0) {
    armedDeadline = heap[0].first().deadline;
    native.armTimer(armedDeadline);
  }
};

internal.pendingTimers = () => active.size;
// After a limit stopped one actor's timer callback mid-loop, the wake-up for the rest.
internal.rearmTimers = () => {
  if (heap.length > 0) {
    armedDeadline = heap[0].first().deadline;
    native.armTimer(armedDeadline);
  }
};

// For built-ins that need timers (AbortSignal.timeout); still subject to capabilities.timers.
internal.setTimeout = (callback, delay, ...args) =>
  addTimer("setTimeout", callback, delay, args.length === 0 ? null : args, false);
internal.clearTimeout = clearTimer;
// Runtime timers (call timeouts, mailbox waits): not subject to capabilities.timers, owned by no actor.
internal.setSystemTimer = (callback, delay) => addTimer("setTimeout", callback, delay, null, false, true);

internal.reportError = (error) => {
  let text;
  try {
    text = error instanceof Error ? (error.stack || `${error.name}: ${error.message}`) : internal.inspect ? internal.inspect(error) : String(error);
  } catch {
    text = "an uncaught value that could not be printed";
  }
  native.log("error", `Uncaught ${text}`);
};

function setTimeout(callback, delay = 0, ...args) {
  return addTimer("setTimeout", callback, delay, args.length === 0 ? null : args, false);
}
function setInterval(callback, delay = 0, ...args) {
  return addTimer("setInterval", callback, delay, args.length === 0 ? null : args, true);
}
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
