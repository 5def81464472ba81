// Actors: the classes the main module exports, addressed as "bundle/Class/name", activated on
// first use (env.ACTORS.get) or by spawn(), each living on the shard that owns its address.
//
// Everything between actors of this isolate stays in JS: a message is cloned here, queued on one
// run queue, and delivered by internal.actorPump, which the node calls as one event per batch
// (with a microtask checkpoint after it). That keeps a same-shard round trip to a few hundred
// nanoseconds (notes/actor-mechanics.md). Messages for actors on other shards go through the node
// (native.actorPost, V8's serializer), and come back in through internal.actorEnvelope.
//
// Attribution: the record of the actor whose code runs is the context's continuation-preserved
// embedder data (native.enterActor), so it follows the actor's code across await; timers and
// stubs made by an actor belong to it and are revoked when it stops. `delivering` is set only
// while the synchronous part of an actor's code runs directly under a node entry (not inside a
// microtask checkpoint): when the CPU or memory limit stops it there, only that actor crashes.

const apply = Reflect.apply;
const promiseThen = Promise.prototype.then;
const NativePromise = Promise;
const isPromise = (value) => value !== null && typeof value === "object" && typeof value.then === "function";
const then = (promise, onFulfilled, onRejected) => apply(promiseThen, promise, [onFulfilled, onRejected]);
const ObjectPrototype = Object.prototype;
const ArrayPrototype = Array.prototype;
const getPrototypeOf = Object.getPrototypeOf;
const objectKeys = Object.keys;
const isArray = Array.isArray;

let epoch;      // native.eventEpoch
let stats;      // Float64Array: [messages delivered, messages queued]
let thisShard;
let pumpCells;  // [the node's pump loop is running, runnable deliveries]
let spawnedSerial;  // [the serial of the actor actorSpawnHere registered last]
internal.onInstance(() => {
  spawnedSerial = native.spawnedSerial;
  epoch = native.eventEpoch;
  stats = native.actorStats;
  thisShard = native.shardIndex;
  pumpCells = native.pumpCells;
  loopNow = native.now();
});

const kCodes = ["handler_error", "not_found", "denied", "timeout", "mailbox_full", "crashed", "unavailable",
  "invalid_argument", "decode_failure", "internal"];

class ActorError extends Error {
  constructor(code, message, originalName = undefined) {
    super(message);
    this.code = kCodes.includes(code) ? code : "internal";
    if (originalName !== undefined) this.originalName = originalName;
  }
  get name() { return "ActorError"; }
}
internal.ActorError = ActorError;
// A runtime-made actor class (a Wasm actor) releases what it holds through this method when its
// actor is torn down; user classes cannot name it.
const kRelease = Symbol("release");
internal.kActorRelease = kRelease;
internal.defineGlobal("ActorError", ActorError);

internal.describe = (error) => {
  try {
    if (error instanceof Error) return error.stack || `${error.name}: ${error.message}`;
    return typeof internal.inspect === "function" ? internal.inspect(error) : String(error);
  } catch {
    return "a value that could not be described";
  }
};

// Errors travel between actors (and shards) as plain descriptors.
function describeError(code, error) {
  if (error instanceof ActorError) return { code: error.code, message: error.message, name: error.originalName };
  let name = "Error", message = "";
  try {
    if (error !== null && typeof error === "object") {
      name = String(error.name);
      message = String(error.message);
    } else {
      message = String(error);
    }
  } catch {
    message = "an error that could not be described";
  }
  return { code, message, name };
}
function errorFrom(descriptor) {
  if (descriptor === null || typeof descriptor !== "object") return new ActorError("internal", "malformed error reply");
  return new ActorError(descriptor.code, String(descriptor.message), descriptor.name);
}

// ---- configuration -------------------------------------------------------------------------

let bundleName = "";
let classes = new Map();          // class name -> constructor
let limits = { mailbox: 1024, mailboxWaitMs: 1000, callTimeoutMs: 30000, messageBytes: 1 << 20 };
let sharedEnv = null;             // the env of actors with the bundle's own capabilities
let gpuGranted = false;           // the bundle has capabilities.gpu: per-actor GPU bindings

internal.configureActors = (config, env) => {
  bundleName = config.bundle || "";
  const l = config.limits || {};
  limits = {
    mailbox: l.mailbox || 1024,
    mailboxWaitMs: l.mailboxWaitMs ?? 1000,
    callTimeoutMs: l.callTimeoutMs || 30000,
    messageBytes: l.messageBytes || (1 << 20),
  };
  sharedEnv = env;
  gpuGranted = internal.capabilities.gpu !== undefined;
};

internal.registerActorClasses = (namespace, names) => {
  classes = new Map();
  for (const name of names) classes.set(name, namespace[name]);
};

// ---- copying messages ----------------------------------------------------------------------

// Plain data (primitives, plain objects and arrays of them) is copied here; anything else (Maps,
// Dates, typed arrays, cycles, deep nesting) through V8's serializer. `size` approximates the
// serialized size for the message limit.
const kFallback = Symbol("fallback");
let cloneBytes = 0;
function cloneInner(value, depth) {
  switch (typeof value) {
    case "string": cloneBytes += value.length; return value;
    case "number": case "boolean": case "undefined": case "bigint": cloneBytes += 8; return value;
    case "object": {
      if (value === null) return null;
      if (depth > 32) return kFallback;
      const proto = getPrototypeOf(value);
      if (proto === ArrayPrototype) {
        const length = value.length;
        const copy = new Array(length);
        for (let i = 0; i < length; i++) {
          const item = cloneInner(value[i], depth + 1);
          if (item === kFallback) return kFallback;
          copy[i] = item;
        }
        cloneBytes += 8;
        return copy;
      }
      if (proto === ObjectPrototype || proto === null) {
        const copy = {};
        const keys = objectKeys(value);
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i];
          const item = cloneInner(value[key], depth + 1);
          if (item === kFallback) return kFallback;
          copy[key] = item;
          cloneBytes += key.length;
        }
        return copy;
      }
      return kFallback;
    }
    default:
      return kFallback;  // functions and symbols: the serializer says what is wrong
  }
}
function tooLarge(bytes) {
  return new ActorError("invalid_argument",
    `message of about ${bytes} bytes exceeds limits.messageBytes (${limits.messageBytes})`);
}
// Throws an ActorError (invalid_argument) for what cannot be copied or is too large.
function cloneMessage(value) {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "string" && value.length > limits.messageBytes) throw tooLarge(value.length);
    if (typeof value === "function" || typeof value === "symbol") {
      throw new ActorError("invalid_argument", `a ${typeof value} cannot be sent as a message (messages are structured-cloned)`);
    }
    return value;
  }
  cloneBytes = 0;
  const copy = cloneInner(value, 0);
  if (copy !== kFallback) {
    if (cloneBytes > limits.messageBytes) throw tooLarge(cloneBytes);
    return copy;
  }
  try {
    return native.actorClone(value, limits.messageBytes);
  } catch (error) {
    throw new ActorError("invalid_argument", `the message cannot be sent: ${error && error.message}`);
  }
}

// ---- stubs ----------------------------------------------------------------------------------

// address -> Actor, for the actors this isolate runs. A minted address ("bundle/Class/~" + 16 hex
// digits of nonce + 24 of MAC) carries its actor's serial, the count of spawns on this shard
// before it, enciphered (actor::IdMinter::NonceFor; native.actorSerial deciphers it): those
// actors sit in chunks of 1,024 slots in spawn order, so a spawn fills the next slot and a lookup
// is one native call and two indexed loads. V8's Map over addresses (or over bits of their
// nonces) probed a table that, at a million actors, missed the cache on every spawn. As in the
// registry, a chunk goes with its last actor unless spawns are still filling it. Other addresses
// (named actors) are keyed as they are.
const kMintedLength = 41;  // actor::IdMinter::kNameLength
function isMinted(address) {
  const n = address.length;
  return n > kMintedLength && address.charCodeAt(n - kMintedLength) === 126 /* ~ */ &&
    address.charCodeAt(n - kMintedLength - 1) === 47 /* / */;
}
function serialOf(address) {
  return isMinted(address) ? native.actorSerial(address) : -1;
}
const kChunk = 1024;
class ActorChunk {
  constructor() {
    this.slots = new Array(kChunk);
    this.used = 0;
  }
}
class ActorTable {
  constructor() {
    this.chunks = new Map();  // serial / kChunk -> ActorChunk, while one of its actors lives
    this.named = new Map();   // address -> Actor
    this.lastIndex = -1;      // the chunk found last: spawns and lookups cluster
    this.lastChunk = undefined;
    this.filling = -1;        // the chunk of the newest serial, kept while it fills
  }
  chunk(index) {
    if (index === this.lastIndex) return this.lastChunk;
    const chunk = this.chunks.get(index);
    if (chunk !== undefined) {
      this.lastIndex = index;
      this.lastChunk = chunk;
    }
    return chunk;
  }
  get(address) {
    if (!isMinted(address)) return this.named.get(address);
    const serial = native.actorSerial(address);
    if (serial < 0) return this.named.get(address);
    const chunk = this.chunk(Math.floor(serial / kChunk));
    if (chunk === undefined) return undefined;
    const actor = chunk.slots[serial % kChunk];
    return actor !== undefined && actor.address === address ? actor : undefined;
  }
  has(address) { return this.get(address) !== undefined; }
  // `actor.address` must not be in the table yet.
  add(actor) {
    const serial = actor.serial;
    if (serial < 0) {
      this.named.set(actor.address, actor);
      return;
    }
    const index = Math.floor(serial / kChunk);
    let chunk = this.chunk(index);
    if (chunk === undefined) {
      chunk = new ActorChunk();
      this.chunks.set(index, chunk);
      this.lastIndex = index;
      this.lastChunk = chunk;
    }
    if (index > this.filling) {
      // The chunk that was filling is full: if all its actors are gone already, so is it.
      const previous = this.chunks.get(this.filling);
      if (previous !== undefined && previous.used === 0) this.drop(this.filling);
      this.filling = index;
    }
    chunk.slots[serial % kChunk] = actor;
    chunk.used++;
  }
  delete(actor) {
    const serial = actor.serial;
    if (serial < 0) {
      if (this.named.get(actor.address) === actor) this.named.delete(actor.address);
      return;
    }
    const index = Math.floor(serial / kChunk);
    const chunk = this.chunk(index);
    if (chunk === undefined || chunk.slots[serial % kChunk] !== actor) return;
    chunk.slots[serial % kChunk] = undefined;
    if (--chunk.used === 0 && index !== this.filling) this.drop(index);
  }
  drop(index) {
    this.chunks.delete(index);
    if (this.lastIndex === index) {
      this.lastIndex = -1;
      this.lastChunk = undefined;
    }
  }
  *values() {
    yield* this.named.values();
    for (const chunk of this.chunks.values()) {
      for (const actor of chunk.slots) if (actor !== undefined) yield actor;
    }
  }
}
const actors = new ActorTable();

class Actor {
  constructor(address, className, capsJson, serial) {
    this.address = address;
    this.serial = serial;      // for a minted address (else -1): its place in `actors`
    this.className = className;
    this.capsJson = capsJson;  // "" for the bundle's capabilities, else the narrowed set as JSON
    this.caps = null;          // the narrowed set, parsed
    this.instance = null;
    this.generation = 0;
    this.running = false;      // constructed and onStart settled
    this.stopping = false;
    this.gone = false;         // removed from `actors` (stopped or failed for good)
    this.pending = 0;          // accepted and not finished: its mailbox occupancy
    this.inflight = null;      // first of the deliveries started and not finished (they get `crashed` on a crash)
    this.extra = null;         // an ActorExtra, once it needs one
  }
}

// What few actors ever need, kept apart so that a million idle ones stay small (each field of an
// Actor is 8 bytes on every one of them).
class ActorExtra {
  constructor() {
    this.parked = null;      // deliveries that arrived before it was running
    this.waiters = null;     // senders waiting for room in a full mailbox
    this.timers = null;      // ids of its timers, cleared when it stops
    this.pressured = false;  // told of backpressure, until its mailbox is half empty again
  }
}
function extraOf(actor) {
  return actor.extra ??= new ActorExtra();
}
function hasWaiters(actor) {
  const extra = actor.extra;
  return extra !== null && extra.waiters !== null && extra.waiters.length > 0;
}

internal.currentActor = () => {
  const actor = native.currentActor();
  return actor instanceof Actor ? actor : null;
};

class ActorStub {
  #address;
  #shard;
  #target = null;   // the local record, while it is live
  #owner;
  #ownerGeneration;
  constructor(address, shard, owner) {
    this.#address = address;
    this.#shard = shard;
    this.#owner = owner;
    this.#ownerGeneration = owner === null ? 0 : owner.generation;
  }
  get id() { return this.#address; }
  #revoked() {
    const owner = this.#owner;
    return owner !== null && (owner.generation !== this.#ownerGeneration || owner.gone || owner.instance === null);
  }
  #check() {
    if (this.#revoked()) {
      return new ActorError("denied", `this stub for ${this.#address} was revoked: the actor that held it (${this.#owner.address}) stopped`);
    }
    return null;
  }
  #sender() { return this.#owner === null ? null : this.#owner.address; }
  #local() {
    if (this.#shard !== thisShard) return null;
    let target = this.#target;
    if (target === null || target.gone) {
      target = actors.get(this.#address) || null;
      this.#target = target;
    }
    return target;
  }
  send(message) {
    const refused = this.#check();
    if (refused !== null) return NativePromise.reject(refused);
    let copy;
    try {
      copy = cloneMessage(message);
    } catch (error) {
      return NativePromise.reject(error);
    }
    return deliverTo(this.#address, this.#shard, this.#local(), KIND_SEND, copy, this.#sender(), 0);
  }
  call(message, options = undefined) {
    const refused = this.#check();
    if (refused !== null) return NativePromise.reject(refused);
    let timeout = limits.callTimeoutMs;
    if (options !== undefined && options !== null && options.timeoutMs !== undefined) {
      timeout = Number(options.timeoutMs);
      if (!(timeout > 0) || !Number.isFinite(timeout)) {
        return NativePromise.reject(new ActorError("invalid_argument", `call(): timeoutMs must be a positive number of milliseconds, got ${options.timeoutMs}`));
      }
    }
    let copy;
    try {
      copy = cloneMessage(message);
    } catch (error) {
      return NativePromise.reject(error);
    }
    return deliverTo(this.#address, this.#shard, this.#local(), KIND_CALL, copy, this.#sender(), timeout);
  }
  fetch(input, init = undefined) {
    const refused = this.#check();
    if (refused !== null) return NativePromise.reject(refused);
    let request;
    try {
      request = new internal.Request(input, init);
    } catch (error) {
      return NativePromise.reject(error);
    }
    const local = this.#local();
    if (local !== null || this.#shard === thisShard) {
      return deliverTo(this.#address, this.#shard, local, KIND_FETCH, request, this.#sender(), limits.callTimeoutMs);
    }
    // Another shard: the request crosses as plain data, its body read whole (up to messageBytes).
    return then(requestToData(request), (data) =>
      then(deliverTo(this.#address, this.#shard, null, KIND_FETCH, data, this.#sender(), limits.callTimeoutMs), dataToResponse));
  }
  toJSON() { return this.#address; }
}
internal.brand(ActorStub);

// A body as bytes (or null), read whole and held to limits.messageBytes: what crosses shards.
function bodyBytes(body) {
  const read = body === null ? NativePromise.resolve(null)
    : typeof body === "string" ? NativePromise.resolve(new TextEncoder().encode(body))
    : body instanceof Uint8Array ? NativePromise.resolve(body)
    : internal.readAllBytes(body, limits.messageBytes);
  return then(read, (bytes) => {
    if (bytes !== null && bytes.byteLength > limits.messageBytes) throw tooLarge(bytes.byteLength);
    return bytes;
  });
}
function requestToData(request) {
  const parts = internal.requestParts(request);
  return then(bodyBytes(parts.body), (body) => ({ method: parts.method, url: parts.url, headers: parts.headers, body }));
}
function dataToRequest(data) {
  return internal.newIncomingRequest(data.method, data.url, data.headers, data.body);
}
function responseToData(response) {
  if (!internal.isResponse(response)) {
    throw new TypeError(`an actor's fetch() must return a Response, got ${response === null ? "null" : typeof response}`);
  }
  const parts = internal.responseParts(response);
  return then(bodyBytes(parts.body), (body) => ({ status: parts.status, statusText: parts.statusText, headers: parts.headers, body }));
}
function dataToResponse(data) {
  const headers = [];
  for (let i = 0; i < data.headers.length; i += 2) headers.push([data.headers[i], data.headers[i + 1]]);
  return new internal.Response(data.body, { status: data.status, statusText: data.statusText, headers });
}

// ---- env.ACTORS -----------------------------------------------------------------------------

// The node parses the address, checks the class and capabilities.actors.allow (with the caller's
// capability set), and says which shard owns it.
function locate(text, capsJson) {
  if (typeof text !== "string") {
    throw new ActorError("invalid_argument", `an actor address must be a string like "Class/name", got ${typeof text}`);
  }
  // [canonical address, owner shard, bundle, class] or a message.
  const located = native.actorLocate(text, capsJson);
  if (typeof located === "string") {
    const [code, message] = splitRefusal(located);
    throw new ActorError(code, message);
  }
  return located;
}

// What env.ACTORS.get(text) resolved, per text: the answer depends only on the text and the
// capabilities (the node's secret, placement and the allowlists stay fixed while it runs), and a
// handler that asks for the same actor on every request then skips the native call, its parsing
// and its four new values. Refusals are not kept; the cache starts over once it holds 1,024.
const kLocatedCacheSize = 1024;

class ActorsBinding {
  #capsJson;  // "" for the bundle's capabilities, else the narrowed set the node checks against
  #located = null;  // text -> [canonical address, owner shard, bundle, class], from the first get
  constructor(capsJson) { this.#capsJson = capsJson; }
  get(address) {
    const cache = this.#located ??= new Map();
    let located = cache.get(address);
    if (located === undefined) {
      located = locate(address, this.#capsJson);
      if (cache.size >= kLocatedCacheSize) cache.clear();
      cache.set(address, located);
    }
    return new ActorStub(located[0], located[1], internal.currentActor());
  }
  spawn(className, name = undefined, options = undefined) {
    try {
      if (typeof className !== "string" || !classes.has(className)) {
        throw new ActorError("not_found", `spawn(): bundle ${bundleName} exports no actor class ${String(className)}`);
      }
      let capsJson = "";
      if (options !== undefined && options !== null && options.capabilities !== undefined) {
        // The bundle's set narrowed by the one asked for; what is asked beyond the bundle's is refused.
        const narrowed = native.actorNarrow(JSON.stringify(options.capabilities));
        if (narrowed.startsWith("!")) throw new ActorError("invalid_argument", `spawn(): ${narrowed.slice(1)}`);
        capsJson = narrowed;
      }
      const owner = internal.currentActor();
      if (name === undefined || name === null) {
        // A minted name on this shard: registered and constructed right here.
        const address = native.actorSpawnHere(className, capsJson);
        if (address.startsWith("!")) {
          const [code, message] = splitRefusal(address.slice(1));
          throw new ActorError(code, message);
        }
        const stub = new ActorStub(address, thisShard, owner);
        const outcome = startActor(address, className, capsJson, spawnedSerial[0]);
        return outcome === null ? NativePromise.resolve(stub) : then(settled(outcome), () => stub);
      }
      let located;
      {
        if (typeof name !== "string" || name.startsWith("~")) {
          throw new ActorError("invalid_argument", "spawn(): the name must be a string not starting with '~' (those are minted)");
        }
        located = locate(`${className}/${name}`, this.#capsJson);
      }
      const spec = { className, capsJson };
      if (located[1] === thisShard) {
        return then(activate(located[0], className, false, capsJson, true),
          () => new ActorStub(located[0], located[1], owner));
      }
      return then(postRemote(located[1], KIND_SPAWN, located[0], spec, owner === null ? null : owner.address, limits.callTimeoutMs),
        () => new ActorStub(located[0], located[1], owner));
    } catch (error) {
      return NativePromise.reject(error);
    }
  }
  get [Symbol.toStringTag]() { return "ActorNamespace"; }
}

internal.newActorsBinding = (capsJson) => new ActorsBinding(capsJson);

// ---- delivery -------------------------------------------------------------------------------

const KIND_SEND = 0, KIND_CALL = 1, KIND_FETCH = 2, KIND_SPAWN = 3;

class Delivery {
  constructor(actor, generation, kind, message, sender, resolve, reject, callId, origin) {
    this.actor = actor;
    this.generation = generation;
    this.kind = kind;
    this.message = message;
    this.sender = sender;
    this.resolve = resolve;   // local caller (null for remote ones)
    this.reject = reject;
    this.callId = callId;     // remote caller: its id and shard
    this.origin = origin;
    this.done = false;
    this.prev = null;         // links among the actor's running deliveries
    this.next = null;
    this.linked = false;
    this.bucket = null;       // its call-timeout bucket, while it has one
    this.slot = 0;
    this.timeoutMs = 0;
    this.targetAddress = "";
    this.callIdOut = 0;       // for calls to other shards: our id of the call
  }
}

const queue = [];
let head = 0;
let scheduled = false;
let delivering = null;   // the actor whose synchronous code runs under the pump right now

function schedule() {
  // Inside the node's pump loop the next batch is picked up without asking.
  if (pumpCells[0] === 1) return;
  if (!scheduled) {
    scheduled = true;
    native.actorSchedule();
  }
}

function settle(delivery, ok, value) {
  if (delivery.done) return;
  delivery.done = true;
  if (delivery.bucket !== null) releaseDeadline(delivery);
  if (delivery.callId !== 0) {
    native.actorReply(delivery.origin, delivery.callId, ok, value);
  } else if (ok) {
    delivery.resolve(value);
  } else {
    delivery.reject(errorFrom(value));
  }
}

// Finishes a started delivery: the actor's mailbox gets its slot back.
function finished(delivery) {
  const actor = delivery.actor;
  if (delivery.generation === actor.generation) {
    if (delivery.linked) {
      delivery.linked = false;
      if (delivery.prev !== null) delivery.prev.next = delivery.next;
      else actor.inflight = delivery.next;
      if (delivery.next !== null) delivery.next.prev = delivery.prev;
    }
    actor.pending--;
    stats[1]--;
    if (hasWaiters(actor)) admitWaiters(actor);
    const extra = actor.extra;
    if (extra !== null && extra.pressured && actor.pending * 2 <= limits.mailbox) extra.pressured = false;
  }
}

// Accepts a delivery into `actor`'s mailbox, or makes its sender wait for room. Sends resolve
// here (accepted); calls when the handler answers.
function accept(actor, delivery) {
  if (actor.pending >= limits.mailbox || hasWaiters(actor)) {
    if (limits.mailboxWaitMs === 0) return refuseFull(actor, delivery);
    delivery.deadline = native.now() + limits.mailboxWaitMs;
    (extraOf(actor).waiters ||= []).push(delivery);
    armWaitTimer(actor, delivery);
    return;
  }
  enqueue(actor, delivery);
}
function refuseFull(actor, delivery) {
  settle(delivery, false, { code: "mailbox_full", message: `the mailbox of ${actor.address} is full (limits.mailbox = ${limits.mailbox}) and stayed full for limits.mailboxWaitMs (${limits.mailboxWaitMs} ms)` });
}
function enqueue(actor, delivery) {
  actor.pending++;
  stats[1]++;
  delivery.generation = actor.generation;
  if (delivery.kind === KIND_SEND) settle(delivery, true, undefined);
  if (actor.pending * 5 >= limits.mailbox * 4) {
    const extra = extraOf(actor);
    if (!extra.pressured) {
      extra.pressured = true;
      notifyBackpressure(actor);
    }
  }
  if (!actor.running) {
    (extraOf(actor).parked ||= []).push(delivery);
    return;
  }
  queue.push(delivery);
  pumpCells[1] = queue.length - head;
  schedule();
}
function admitWaiters(actor) {
  const waiters = actor.extra.waiters;
  while (waiters.length > 0 && actor.pending < limits.mailbox) {
    const delivery = waiters.shift();
    if (delivery.done) continue;
    enqueue(actor, delivery);
  }
}
function armWaitTimer(actor, delivery) {
  internal.setSystemTimer(() => {
    const waiters = actor.extra === null ? null : actor.extra.waiters;
    if (delivery.done || waiters === null) return;
    const index = waiters.indexOf(delivery);
    if (index === -1) return;
    waiters.splice(index, 1);
    refuseFull(actor, delivery);
  }, limits.mailboxWaitMs);
}
function notifyBackpressure(actor) {
  const instance = actor.instance;
  if (instance === null || typeof instance.onMailboxBackpressure !== "function") return;
  const event = { queueLength: actor.pending, threshold: Math.ceil(limits.mailbox * 0.8), limit: limits.mailbox };
  // As its own event after the current one: the hook runs like a handler, never inside a send().
  NativePromise.resolve().then(() => {
    if (actor.instance !== instance) return;
    native.enterActor(actor);
    try {
      const result = instance.onMailboxBackpressure(event);
      if (isPromise(result)) then(result, undefined, (error) => actorFailed(actor, error, "onMailboxBackpressure rejected"));
    } catch (error) {
      actorFailed(actor, error, "onMailboxBackpressure threw");
    } finally {
      native.enterActor(undefined);
    }
  });
}

// Call timeouts: deadlines rounded up to 16 ms buckets, one system timer for the earliest. A
// call that is answered leaves its bucket at once (its slot is cleared, and an emptied bucket lets
// go of its array), so answered calls are not kept alive until their deadline. The emptied bucket
// itself stays in the wheel until its time: deleting it would empty the Map at almost every call,
// and V8 reallocates a Map's table each time it empties — in the old generation once the Map is
// there (always, for one made in the start-up snapshot), which made a call 50 % slower.
class Bucket {
  constructor(due) {
    this.due = due;
    this.items = [];
    this.live = 0;
  }
}
const wheel = new Map();  // due -> Bucket
let wheelArmed = Infinity;
// The clock of deadlines is read once per entry into the actor layer (a pump batch, an envelope,
// a request), not per call: a deadline is late by at most the current event's own run time.
let loopNow = 0;
internal.touchClock = () => { loopNow = native.now(); };
function addDeadline(delivery, timeoutMs) {
  const due = Math.ceil((loopNow + timeoutMs) / 16) * 16;
  let bucket = wheel.get(due);
  if (bucket === undefined) {
    bucket = new Bucket(due);
    wheel.set(due, bucket);
    if (due < wheelArmed) {
      wheelArmed = due;
      internal.setSystemTimer(fireWheel, due - native.now());
    }
  }
  delivery.timeoutMs = timeoutMs;
  delivery.bucket = bucket;
  delivery.slot = bucket.items.length;
  bucket.items.push(delivery);
  bucket.live++;
}
function releaseDeadline(delivery) {
  const bucket = delivery.bucket;
  if (bucket === null) return;
  delivery.bucket = null;
  bucket.items[delivery.slot] = null;
  if (--bucket.live === 0) bucket.items = [];
}
function fireWheel() {
  const now = native.now();
  let next = Infinity;
  for (const [due, bucket] of wheel) {
    if (due <= now) {
      wheel.delete(due);
      for (const delivery of bucket.items) {
        if (delivery === null || delivery.done) continue;
        delivery.bucket = null;
        const target = delivery.targetAddress || (delivery.actor && delivery.actor.address);
        if (delivery.callIdOut !== 0) outstanding.delete(delivery.callIdOut);
        settle(delivery, false, { code: "timeout", message: `call to ${target} did not answer within ${delivery.timeoutMs} ms` });
      }
    } else if (due < next) {
      next = due;
    }
  }
  wheelArmed = next;
  if (next !== Infinity) internal.setSystemTimer(fireWheel, next - now);
}

// From a stub: to a local record (or activate one), or out through the node.
function deliverTo(address, shard, target, kind, message, sender, timeoutMs) {
  if (shard !== thisShard) return postRemote(shard, kind, address, message, sender, timeoutMs);
  let resolve, reject;
  const promise = new NativePromise((res, rej) => { resolve = res; reject = rej; });
  const delivery = new Delivery(null, 0, kind, message, sender, resolve, reject, 0, 0);
  if (timeoutMs > 0) {
    delivery.targetAddress = address;
    addDeadline(delivery, timeoutMs);
  }
  if (target !== null && !target.gone) {
    delivery.actor = target;
    accept(target, delivery);
  } else {
    route(address, delivery);
  }
  return promise;
}

// A delivery for an address with no live record here: activate it on first use, or refuse.
function route(address, delivery) {
  let actor = actors.get(address);
  if (actor === undefined) {
    const slash = address.indexOf("/");
    const rest = address.slice(slash + 1);
    const className = rest.slice(0, rest.indexOf("/"));
    const spawned = rest.includes("/~");
    // "", or the narrowed set an entry that was there keeps (its restart must not widen it).
    const answer = native.actorActivate(address, className, spawned, "", false);
    if (isRefusal(answer)) {
      const [code, message] = splitRefusal(answer);
      settle(delivery, false, { code, message });
      return;
    }
    const outcome = startActor(address, className, answer);
    if (outcome instanceof ActorError) {
      settle(delivery, false, { code: "crashed", message: `actor ${address} failed to start: ${outcome.message}` });
      return;
    }
    actor = actors.get(address);
  }
  delivery.actor = actor;
  accept(actor, delivery);
}
function isRefusal(answer) {
  return answer !== "" && answer.charCodeAt(0) !== 123;  // "{": a capability set
}
function splitRefusal(text) {
  const colon = text.indexOf(":");
  return [text.slice(0, colon), text.slice(colon + 1)];
}

// Runs a batch of deliveries; true if more are queued (the node calls again after a microtask
// checkpoint, or in a later turn of the loop).
internal.actorPump = (now) => {
  loopNow = now;
  let budget = 256;
  while (head < queue.length && budget-- > 0) {
    const delivery = queue[head];
    queue[head++] = undefined;
    run(delivery);
  }
  pumpCells[1] = queue.length - head;
  if (head === queue.length) {
    queue.length = 0;
    head = 0;
  } else if (head > 4096 && head * 2 > queue.length) {
    queue.splice(0, head);
    head = 0;
  }
  native.enterActor(undefined);
  const more = head < queue.length;
  if (!more) scheduled = false;
  return more;
};

function run(delivery) {
  const actor = delivery.actor;
  // A delivery runs even when its caller stopped waiting (a call that timed out): the message was
  // accepted, and timeouts do not take messages back.
  if (delivery.generation !== actor.generation || actor.instance === null) {
    // Queued for an incarnation that crashed or stopped.
    settle(delivery, false, { code: "crashed", message: `actor ${actor.address} crashed before handling this message` });
    return;
  }
  const instance = actor.instance;
  const kind = delivery.kind;
  let result;
  // Linked among the actor's running deliveries (a list, not a Set: no hashing per message).
  const first = actor.inflight;
  delivery.next = first;
  if (first !== null) first.prev = delivery;
  actor.inflight = delivery;
  delivery.linked = true;
  epoch[0]++;
  stats[0]++;
  native.enterActor(actor);
  delivering = actor;
  try {
    if (kind === KIND_FETCH) {
      const message = delivery.message;
      const request = internal.isRequest(message) ? message : dataToRequest(message);
      if (typeof instance.fetch !== "function") throw new TypeError(`actor class ${actor.className} has no fetch(request) method`);
      result = instance.fetch(request);
    } else {
      if (typeof instance.message !== "function") throw new TypeError(`actor class ${actor.className} has no message(msg, ctx) method`);
      result = instance.message(delivery.message, { sender: delivery.sender, kind: kind === KIND_CALL ? "call" : "send" });
    }
  } catch (error) {
    delivering = null;
    handlerFailed(delivery, error);
    return;
  }
  delivering = null;
  if (isPromise(result)) {
    then(result, (value) => handlerDone(delivery, value), (error) => handlerFailed(delivery, error));
  } else {
    handlerDone(delivery, result);
  }
}

function handlerDone(delivery, value) {
  finished(delivery);
  if (delivery.done) return;
  if (delivery.kind === KIND_FETCH) {
    if (delivery.callId !== 0) {
      let data;
      try {
        data = responseToData(value);
      } catch (error) {
        return settle(delivery, false, describeError("handler_error", error));
      }
      then(data, (plain) => settle(delivery, true, plain), (error) => settle(delivery, false, describeError("handler_error", error)));
      return;
    }
    if (!internal.isResponse(value)) {
      return settle(delivery, false, describeError("handler_error", new TypeError(`an actor's fetch() must return a Response, got ${value === null ? "null" : typeof value}`)));
    }
    return settle(delivery, true, value);
  }
  if (delivery.kind !== KIND_CALL) return;
  let copy;
  try {
    copy = delivery.callId !== 0 ? value : cloneMessage(value);
  } catch (error) {
    return settle(delivery, false, { code: "invalid_argument", message: `the reply of ${delivery.actor.address} cannot be returned: ${error.message}` });
  }
  settle(delivery, true, copy);
}
function handlerFailed(delivery, error) {
  finished(delivery);
  if (delivery.kind === KIND_SEND) {
    // Nobody awaits a send's handler: its failure is the actor's to log, not a crash.
    const actor = delivery.actor;
    native.log("error", `actor ${actor.address}: message handler failed: ${internal.describe(error)}`);
    return;
  }
  settle(delivery, false, describeError("handler_error", error));
}

// ---- cross-shard -----------------------------------------------------------------------------

const outstanding = new Map();  // call id -> Delivery-like record of a remote request
let nextCallId = 1;

function postRemote(shard, kind, address, message, sender, timeoutMs) {
  let resolve, reject;
  const promise = new NativePromise((res, rej) => { resolve = res; reject = rej; });
  const callId = nextCallId++;
  // Shaped like a Delivery (settle() and the timeout wheel handle both).
  const record = new Delivery(null, 0, kind, null, sender, resolve, reject, 0, 0);
  record.targetAddress = address;
  record.callIdOut = callId;
  try {
    native.actorPost(shard, kind, address, sender, callId, message, limits.messageBytes);
  } catch (error) {
    return NativePromise.reject(error instanceof ActorError ? error
      : new ActorError("invalid_argument", `the message cannot be sent: ${error && error.message}`));
  }
  outstanding.set(callId, record);
  if (kind !== KIND_SEND && timeoutMs > 0) addDeadline(record, timeoutMs);
  return promise;
}

// From the node: a message from another shard (kind 0-3), or the answer to one of ours (4 ok,
// 5 error descriptor).
internal.actorEnvelope = (kind, address, sender, callId, origin, value) => {
  loopNow = native.now();
  if (kind >= 4) {
    const record = outstanding.get(callId);
    if (record === undefined || record.done) return;
    outstanding.delete(callId);
    settle(record, kind === 4, value);
    return;
  }
  const delivery = new Delivery(null, 0, kind, value, sender, null, null, callId, origin);
  if (kind === KIND_SPAWN) {
    then(activate(address, value.className, address.includes("/~"), value.capsJson, true),
      () => settle(delivery, true, undefined),
      (error) => settle(delivery, false, describeError("crashed", error)));
    return;
  }
  route(address, delivery);
};

// ---- lifecycle ------------------------------------------------------------------------------

// Actors of a bundle with the GPU get an env of their own: their GPU binding owns their buffers.
function actorEnv(actor) {
  if (actor.capsJson === "") return gpuGranted ? internal.buildEnv(internal.capabilities, "", actor) : sharedEnv;
  actor.caps = JSON.parse(actor.capsJson);
  return internal.buildEnv(actor.caps, actor.capsJson, actor);
}

// Activates `address` here (spawn, or a remote spawn); the promise resolves once it runs.
function activate(address, className, spawned, capsJson, explicit) {
  if (actors.has(address)) {
    return explicit ? NativePromise.reject(new ActorError("invalid_argument", `actor ${address} already exists`))
      : NativePromise.resolve();
  }
  const answer = native.actorActivate(address, className, spawned, capsJson, explicit);
  if (isRefusal(answer)) {
    const [code, message] = splitRefusal(answer);
    return NativePromise.reject(new ActorError(code, message));
  }
  return settled(startActor(address, className, answer));
}
function settled(outcome) {
  if (outcome === null) return NativePromise.resolve();
  if (outcome instanceof ActorError) return NativePromise.reject(outcome);
  return outcome;
}

// Creates the record and constructs the instance: null when it runs, a promise while its onStart
// is pending, or the ActorError of a constructor/onStart that failed (reported to supervision).
function startActor(address, className, capsJson, serial = serialOf(address)) {
  const actor = new Actor(address, className, capsJson, serial);
  actors.add(actor);
  return construct(actor);
}

// The `state` an actor's constructor gets.
class ActorState {
  #actor;
  #generation;
  constructor(actor) {
    this.#actor = actor;
    this.#generation = actor.generation;
  }
  get id() { return this.#actor.address; }
  // Stops this actor once the current event is done: onStop runs, then it is gone (or, with the
  // class's restart policy "always", restarted).
  stop() {
    const actor = this.#actor;
    if (actor.generation === this.#generation && !actor.stopping) stopActor(actor, true);
  }
}
internal.brand(ActorState);

function construct(actor) {
  const cls = classes.get(actor.className);
  actor.generation++;
  actor.running = false;
  let env;
  try {
    env = actorEnv(actor);
  } catch (error) {
    actorFailed(actor, error, "building its env failed");
    return new ActorError("invalid_argument", String(error && error.message));
  }
  const state = new ActorState(actor);
  epoch[0]++;
  native.enterActor(actor);
  delivering = actor;
  let instance, started;
  try {
    instance = new cls(state, env);
  } catch (error) {
    delivering = null;
    native.enterActor(undefined);
    actorFailed(actor, error, "its constructor threw");
    return new ActorError("handler_error", `constructor of ${actor.className} threw: ${internal.describe(error)}`);
  }
  actor.instance = instance;
  try {
    if (typeof instance.onStart === "function") started = instance.onStart();
  } catch (error) {
    delivering = null;
    native.enterActor(undefined);
    actorFailed(actor, error, "onStart threw");
    return new ActorError("handler_error", `onStart of ${actor.className} threw: ${internal.describe(error)}`);
  }
  delivering = null;
  native.enterActor(undefined);
  if (!isPromise(started)) {
    ready(actor);
    return null;
  }
  const generation = actor.generation;
  return then(started, () => {
    if (actor.generation === generation && actor.instance === instance) ready(actor);
  }, (error) => {
    if (actor.generation === generation) actorFailed(actor, error, "onStart rejected");
    throw new ActorError("handler_error", `onStart of ${actor.className} rejected: ${internal.describe(error)}`);
  });
}

// Constructed and started: messages that waited for it go to the run queue.
function ready(actor) {
  actor.running = true;
  const extra = actor.extra;
  const parked = extra === null ? null : extra.parked;
  if (parked !== null) {
    extra.parked = null;
    // Accepted while it was (re)starting: they belong to this incarnation.
    for (const delivery of parked) {
      delivery.generation = actor.generation;
      queue.push(delivery);
    }
    pumpCells[1] = queue.length - head;
    schedule();
  }
}

// Drops the running incarnation: callers of its started and queued deliveries get `code`; its
// timers and stubs are revoked.
function teardown(actor, code, message) {
  const inflight = actor.inflight;
  const instance = actor.instance;
  actor.inflight = null;
  actor.instance = null;
  if (instance !== null && typeof instance[kRelease] === "function") {
    try {
      instance[kRelease]();
    } catch (error) {
      native.log("error", `actor ${actor.address}: releasing it failed: ${internal.describe(error)}`);
    }
  }
  if (gpuGranted) internal.gpuReleaseActor(actor);  // its GPU buffers are freed
  actor.running = false;
  actor.generation++;  // revokes its stubs; queued deliveries of the old generation fail when run
  stats[1] -= actor.pending;
  actor.pending = 0;
  for (let delivery = inflight; delivery !== null; delivery = delivery.next) {
    delivery.linked = false;
    settle(delivery, false, { code, message });
  }
  const extra = actor.extra;
  if (extra === null) return;
  extra.pressured = false;
  const parked = extra.parked;
  extra.parked = null;
  if (parked !== null) for (const delivery of parked) settle(delivery, false, { code, message });
  if (extra.timers !== null) {
    for (const id of extra.timers) internal.clearTimeout(id);
    extra.timers = null;
  }
}

// The actor failed outside a handler's answer (constructor, onStart, a timer, an unhandled
// rejection, a limit): supervision decides whether it comes back.
function actorFailed(actor, error, what) {
  if (actor.gone || actor.instance === null && actor.running === false && actor.stopping) return;
  const reason = `${what}: ${internal.describe(error)}`;
  native.log("error", `actor ${actor.address} crashed (${reason})`);
  crash(actor, reason);
}

function crash(actor, reason) {
  teardown(actor, "crashed", `actor ${actor.address} crashed: ${reason}`);
  const delay = native.actorCrashed(actor.address, reason, true);
  if (delay < 0) {
    actor.gone = true;
    actors.delete(actor);
    failWaiters(actor, "crashed", `actor ${actor.address} crashed and is not restarted`);
  }
  // Otherwise the node calls internal.actorRestart after the backoff; messages park until then.
}
function failWaiters(actor, code, message) {
  const extra = actor.extra;
  if (extra === null) return;
  const waiters = extra.waiters;
  extra.waiters = null;
  if (waiters !== null) for (const delivery of waiters) settle(delivery, false, { code, message });
}

// Supervision brings an actor back after its backoff: the same record (messages parked on it
// wait), or after a discarded isolate a new one with the spawn's capabilities.
internal.actorRestart = (address, className, spawned, capsJson) => {
  let actor = actors.get(address);
  if (actor === undefined) {
    actor = new Actor(address, className, capsJson, serialOf(address));
    actors.add(actor);
  } else if (actor.gone) {
    return false;
  }
  const ok = !(construct(actor) instanceof ActorError);
  if (ok && hasWaiters(actor)) admitWaiters(actor);
  return ok;
};

function stopActor(actor, self) {
  actor.stopping = true;
  const instance = actor.instance;
  const finish = () => {
    teardown(actor, "unavailable", `actor ${actor.address} stopped before answering`);
    actor.stopping = false;
    const delay = native.actorCrashed(actor.address, self ? "stopped itself" : "stopped", false);
    if (delay < 0) {
      actor.gone = true;
      actors.delete(actor);
      failWaiters(actor, "unavailable", `actor ${actor.address} stopped`);
    }
  };
  if (instance === null || typeof instance.onStop !== "function") {
    // Like onStop below, after the current event: a handler that called state.stop() still
    // answers its caller.
    return then(NativePromise.resolve(), finish);
  }
  return new NativePromise((resolve) => {
    const done = () => { finish(); resolve(); };
    then(NativePromise.resolve(), () => {  // not .then(): user code may have replaced it
      native.enterActor(actor);
      let result;
      try {
        result = instance.onStop();
      } catch (error) {
        native.log("error", `actor ${actor.address}: onStop threw: ${internal.describe(error)}`);
      } finally {
        native.enterActor(undefined);
      }
      if (isPromise(result)) {
        then(result, done, (error) => {
          native.log("error", `actor ${actor.address}: onStop rejected: ${internal.describe(error)}`);
          done();
        });
      } else {
        done();
      }
    });
  });
}

// Node shutdown: every live actor's onStop, within the drain timeout (counted as background work).
internal.actorShutdown = () => {
  const all = [...actors.values()].filter((actor) => !actor.gone);
  if (all.length === 0) return;
  native.backgroundWork(1);
  const stops = all.map((actor) => then(stopActor(actor, false), undefined, () => {}));
  then(NativePromise.all(stops), () => native.backgroundWork(-1), () => native.backgroundWork(-1));
};

// The node terminated JS (CPU or memory limit) and recovered the isolate: if an actor's
// synchronous code was running, that actor crashed and nothing else was disturbed.
internal.actorAborted = (reason) => {
  const actor = delivering;
  delivering = null;
  scheduled = false;
  native.enterActor(undefined);  // the cut-short code never got to leave the actor's context
  if (actor === null) return false;
  native.log("error", `actor ${actor.address} crashed: ${reason}`);
  crash(actor, reason);
  internal.rearmTimers();  // the timer loop may have been cut short
  if (head < queue.length) schedule();
  return true;
};

// The actor whose code is running now crashed outside any handler (an uncaught error in one of
// its timers, a rejection nobody handled).
internal.actorUncaught = (actor, error, what) => {
  if (!(actor instanceof Actor) || actor.gone || actor.instance === null) return false;
  actorFailed(actor, error, what);
  return true;
};
// Timers started by an actor belong to it (cleared when it stops).
internal.actorOwnsTimer = (id) => {
  const actor = internal.currentActor();
  if (!(actor instanceof Actor)) return null;
  (extraOf(actor).timers ||= new Set()).add(id);
  return actor;
};
internal.actorTimerDone = (actor, id) => {
  if (actor !== null && actor.extra !== null && actor.extra.timers !== null) actor.extra.timers.delete(id);
};
internal.enterActor = (actor) => native.enterActor(actor === null ? undefined : actor);
internal.setDelivering = (actor) => { delivering = actor; };

