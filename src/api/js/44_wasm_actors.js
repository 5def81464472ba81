// WebAssembly actors: a class of the bundle backed by a .wasm module (docs/wasm-abi.md). Each
// actor is one instance of the module, compiled once per bundle by the node; this file turns the
// actor machinery of 42_actors.js (mailboxes, stubs, supervision) into the ABI's dispatches and
// imports, so JS and Wasm actors are reached the same way and neither knows what the other is.
//
// Bytes cross the boundary as copies: into the module through its mar_alloc export, out of it
// during an import call. A trap, a stack overflow or proc_exit with a non-zero status crashes the
// actor (supervision decides what comes next); an instance is never entered again after one.

// Captured before user code runs; WebAssembly is only there once the context is (not while the
// start-up snapshot is made).
let WasmInstance, WasmMemory, wasmImports, wasmExports;
internal.onInstance(() => {
  if (typeof WebAssembly === "undefined") return;  // the build's warm-up context, before the snapshot
  WasmInstance = WebAssembly.Instance;
  WasmMemory = WebAssembly.Memory;
  wasmImports = WebAssembly.Module.imports;
  wasmExports = WebAssembly.Module.exports;
});
const utf8Encode = native.utf8Encode;
const utf8Decode = (bytes) => (bytes.length === 0 ? "" : native.utf8Decode(bytes, false));
let kEmpty;
internal.onInstance(() => {
  kEmpty = new Uint8Array(0);
});
// Captured before user code runs (it may replace the globals).
const NativePromise = Promise;
const promiseThen = Promise.prototype.then;
const then = (promise, onFulfilled, onRejected) => Reflect.apply(promiseThen, promise, [onFulfilled, onRejected]);
const jsonStringify = JSON.stringify;
const isView = ArrayBuffer.isView;
const defineProperty = Object.defineProperty;

const MAR_SEND = 0, MAR_CALL = 1, MAR_REPLY = 2, MAR_FAILED = 3, MAR_TIMER = 4;
// Error codes of the ABI: DESIGN.md §2's closed set, numbered from 1 in this order.
const kErrorCodes = ["handler_error", "not_found", "denied", "timeout", "mailbox_full", "crashed", "unavailable",
  "invalid_argument", "decode_failure", "internal"];
const E_DENIED = 3, E_INVALID = 8;
const codeNumber = (error) => {
  const index = error instanceof internal.ActorError ? kErrorCodes.indexOf(error.code) : -1;
  return index < 0 ? E_INVALID : index + 1;
};
const kLevels = ["debug", "info", "warn", "error"];

// A message as the bytes a module receives: bytes as they are, strings as UTF-8, anything else
// as JSON text (the convention for structured payloads).
function toBytes(value) {
  if (value === undefined || value === null) return kEmpty;
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === "string") return utf8Encode(value);
  const json = jsonStringify(value);
  return json === undefined ? kEmpty : utf8Encode(json);
}

// proc_exit unwinds the module's stack with this (it is not an Error: user code never sees it).
class WasmExit {
  constructor(code) { this.code = code; }
}

function describeTrap(error) {
  if (error instanceof WasmExit) return `exited with status ${error.code}`;
  if (error instanceof RangeError && /call stack/.test(error.message)) return "trapped: stack exhausted (deep recursion)";
  if (error instanceof WebAssembly.RuntimeError) return `trapped: ${error.message}`;
  return `failed: ${internal.describe(error)}`;
}

// The instance whose code runs: the "mar" imports are one object shared by every instance (no
// closures per actor), and find their actor here. Dispatches never nest, and an import never
// calls back into Wasm.
let current = null;
function entered(actor, fn, a, b, c, d, e) {
  const previous = current;
  current = actor;
  try {
    return fn(a, b, c, d, e);
  } finally {
    current = previous;
  }
}
const marImports = Object.freeze({
  log: (level, pointer, length) => current.log(level, pointer, length),
  send: (toPointer, toLength, pointer, length) => current.send(toPointer, toLength, pointer, length),
  call: (toPointer, toLength, pointer, length, timeoutMs) => current.call(toPointer, toLength, pointer, length, timeoutMs),
  reply: (id, pointer, length) => current.answer(id, true, pointer, length),
  fail: (id, pointer, length) => current.answer(id, false, pointer, length),
  self: (pointer, capacity) => current.copyOut(current.address, pointer, capacity),
  caller: (pointer, capacity) => current.callerId(pointer, capacity),
  timer: (delayMs) => current.timer(delayMs),
  stop: () => current.state.stop(),
});

// Growable memories cost two kernel mappings each; past the node's budget an actor is refused
// instead of the process aborting (docs/wasm-abi.md, "Memory").
const memoryBudget = new FinalizationRegistry(() => native.wasmMemoryRelease());

// The class behind a Wasm actor class: `spec` is the node's description of it (see
// Bundle::WasmClass), `module` the compiled WebAssembly.Module.
internal.wasmActorClass = (spec, module) => {
  const needsWasi = wasmImports(module).some((entry) => entry.module === "wasi_snapshot_preview1");
  const exported = new Set(wasmExports(module).map((entry) => entry.name));
  const command = !exported.has("mar_dispatch") && exported.has("_start");
  const className = spec.name;

  class WasmActor {
    constructor(state, env) {
      this.state = state;
      this.env = env;
      this.actor = internal.currentActor();
      this.generation = this.actor === null ? 0 : this.actor.generation;
      this.address = state.id;
      this.requests = new Map();  // id of a MAR_CALL received -> its answer slot
      this.nextRequest = 1;
      this.nextOut = 1;           // ids of this actor's sends, calls and timers
      this.stubs = null;          // address -> stub, for the module's sends and calls
      this.caller = undefined;    // the sender of the message being dispatched
      this.broken = false;        // trapped or exited: never entered again
      this.wasi = null;
      const caps = this.actor !== null && this.actor.caps !== null ? this.actor.caps : internal.capabilities;
      this.messaging = Object.prototype.hasOwnProperty.call(caps, "actors");
      if (spec.growable && !native.wasmMemoryAcquire()) {
        throw new internal.ActorError("unavailable", `too many growable WebAssembly memories are live in this node; ` +
          `give ${className}'s memory a maximum equal to its initial size (docs/wasm-abi.md, "Memory")`);
      }
      const imports = { mar: marImports };
      if (needsWasi) {
        // Files as the actor's own set grants them: none without "files", read-only if it says so.
        const files = caps.files;
        const preopens = files === undefined ? [] : files.write ? spec.preopens
          : spec.preopens.map((grant) => ({ guest: grant.guest, host: grant.host, write: false }));
        this.wasi = internal.makeWasi({
          args: spec.args, env: spec.env, preopens,
          log: (level, text) => native.log(level, `actor ${this.address}: ${text}`),
          exit: (code) => { throw new WasmExit(code); },
        });
        imports.wasi_snapshot_preview1 = this.wasi.imports;
      }
      let instance;
      try {
        instance = new WasmInstance(module, imports);
      } catch (error) {
        if (spec.growable) native.wasmMemoryRelease();
        this.release();
        throw error;
      }
      this.exports = instance.exports;
      this.memory = this.exports.memory instanceof WasmMemory ? this.exports.memory : null;
      if (spec.growable) {
        if (this.memory !== null) memoryBudget.register(this.memory, undefined);
        else native.wasmMemoryRelease();
      }
      if (this.wasi !== null && this.memory !== null) this.wasi.setMemory(this.memory);
      if (typeof this.exports._initialize === "function") this.enter(this.exports._initialize, "_initialize");
      // (An instance is entered only through entered(), which makes it `current` for the imports.)
    }

    // Runs an export for the constructor or a lifecycle hook: a trap becomes the hook's error.
    enter(fn, what) {
      try {
        entered(this, fn);
      } catch (error) {
        this.broken = true;
        if (error instanceof WasmExit && error.code === 0) return true;
        throw new Error(`${className}.${what} ${describeTrap(error)}`);
      }
      return false;
    }

    onStart() {
      if (command) {
        // A WASI command: main() runs now; when it returns (or exits 0) the actor stops.
        const exited = this.enter(this.exports._start, "_start");
        if (exited || !this.broken) {
          this.broken = true;
          this.state.stop();
        }
        return;
      }
      if (typeof this.exports.mar_on_start === "function") this.enter(this.exports.mar_on_start, "mar_on_start");
    }

    onStop() {
      if (!this.broken && typeof this.exports.mar_on_stop === "function") {
        try {
          entered(this, this.exports.mar_on_stop);
        } catch (error) {
          this.broken = true;
          native.log("error", `actor ${this.address}: mar_on_stop ${describeTrap(error)}`);
        }
      }
      this.release();
    }

    // When the actor is gone (stopped, crashed): its files are closed at once.
    [internal.kActorRelease]() { this.release(); }
    release() {
      if (this.wasi !== null) {
        this.wasi.close();
        this.wasi = null;
      }
      this.requests.clear();
      this.stubs = null;
    }

    message(msg, ctx) {
      if (command) throw new TypeError(`${className} is a WASI command (it exports _start): it takes no messages`);
      if (this.broken) throw new internal.ActorError("unavailable", `actor ${this.address} has exited`);
      const call = ctx.kind === "call";
      const id = call ? this.nextRequest++ : 0;
      let slot = null;
      if (call) {
        slot = { done: false, ok: false, value: undefined, resolve: null, reject: null };
        this.requests.set(id, slot);
      }
      const status = this.dispatch(call ? MAR_CALL : MAR_SEND, id, 0, toBytes(msg), ctx.sender);
      if (status === undefined) return undefined;  // it crashed: the caller already heard `crashed`
      if (!call) {
        if (status !== 0) throw new Error(`mar_dispatch returned ${status}`);
        return undefined;
      }
      if (slot.done) {
        if (slot.ok) return slot.value;
        throw slot.value;
      }
      if (status !== 0) {
        this.requests.delete(id);
        throw new Error(`mar_dispatch returned ${status} without answering`);
      }
      return new NativePromise((resolve, reject) => {
        slot.resolve = resolve;
        slot.reject = reject;
      });
    }

    // HTTP routed to the actor (/actors/Class/name): the request body is a MAR_CALL's payload
    // and the reply the response body.
    async fetch(request) {
      const body = new Uint8Array(await request.arrayBuffer());
      const reply = await this.message(body, { kind: "call", sender: null });
      return new internal.Response(reply === undefined ? null : reply,
        { headers: { "content-type": "application/octet-stream" } });
    }

    // Copies `bytes` into the module and calls mar_dispatch. Returns its status, or undefined
    // if the module trapped (the actor has crashed).
    dispatch(kind, id, code, bytes, sender) {
      if (this.broken) return undefined;
      const exports = this.exports;
      const length = bytes.length;
      this.caller = kind <= MAR_CALL ? sender : undefined;
      try {
        let pointer = 0;
        if (length > 0) {
          if (typeof exports.mar_alloc !== "function") {
            throw new TypeError(`${className} exports no mar_alloc: it cannot receive a ${length}-byte payload`);
          }
          pointer = entered(this, exports.mar_alloc, length) >>> 0;
          if (pointer === 0 || this.memory === null || pointer + length > this.memory.buffer.byteLength) {
            throw new RangeError(`${className}'s mar_alloc(${length}) returned ${pointer === 0 ? "0" : "memory out of bounds"}`);
          }
          new Uint8Array(this.memory.buffer, pointer, length).set(bytes);
        }
        return entered(this, exports.mar_dispatch, kind, id, code, pointer, length);
      } catch (error) {
        if (error instanceof TypeError || (error instanceof RangeError && !/call stack/.test(error.message))) throw error;
        this.trapped(error);
        return undefined;
      } finally {
        this.caller = undefined;
      }
    }

    trapped(error) {
      this.broken = true;
      if (error instanceof WasmExit && error.code === 0) {
        this.state.stop();
        return;
      }
      const actor = this.actor !== null ? this.actor : internal.currentActor();
      const cause = new Error(`mar_dispatch ${describeTrap(error)}`);
      if (actor === null || !internal.actorUncaught(actor, cause, "its WebAssembly code")) {
        native.log("error", `actor ${this.address}: ${cause.message}`);
      }
    }

    // A later event for the module (a reply, a failure, a timer), if this incarnation still runs.
    later(kind, id, code, bytes) {
      if (this.broken || (this.actor !== null && (this.actor.generation !== this.generation || this.actor.instance !== this))) {
        return;
      }
      let status;
      try {
        status = this.dispatch(kind, id, code, bytes, null);
      } catch (error) {
        native.log("error", `actor ${this.address}: ${internal.describe(error)}`);
        return;
      }
      if (status !== undefined && status !== 0) {
        native.log("error", `actor ${this.address}: mar_dispatch returned ${status} for ${["", "", "a reply", "a failure", "a timer"][kind]} (id ${id})`);
      }
    }

    // Guest memory, bounds-checked: null when out of range.
    bytesAt(pointer, length) {
      pointer >>>= 0;
      length >>>= 0;
      if (this.memory === null) return length === 0 ? kEmpty : null;
      if (pointer + length > this.memory.buffer.byteLength) return null;
      return new Uint8Array(this.memory.buffer, pointer, length);
    }
    copyOut(text, pointer, capacity) {
      const bytes = utf8Encode(text);
      const target = this.bytesAt(pointer, Math.min(capacity >>> 0, bytes.length));
      if (target === null) return -E_INVALID;
      target.set(bytes.subarray(0, target.length));
      return bytes.length;
    }

    stub(address) {
      const actors = this.env.ACTORS;
      if (!this.messaging) {
        throw new internal.ActorError("denied", `actor ${this.address} has no "actors" capability`);
      }
      let stubs = this.stubs;
      if (stubs === null) stubs = this.stubs = new Map();
      let stub = stubs.get(address);
      if (stub === undefined) {
        stub = actors.get(address);
        if (stubs.size >= 256) stubs.clear();
        stubs.set(address, stub);
      }
      return stub;
    }

    outgoing(toPointer, toLength, pointer, length, start) {
      const to = this.bytesAt(toPointer, toLength);
      const data = this.bytesAt(pointer, length);
      if (to === null || data === null) return -E_INVALID;
      const id = this.nextOut++;
      let promise;
      try {
        promise = start(this.stub(utf8Decode(to)), data.slice());
      } catch (error) {
        return -codeNumber(error);
      }
      return [id, promise];
    }

    log(level, pointer, length) {
      const bytes = this.bytesAt(pointer, length);
      if (bytes !== null) native.log(kLevels[level] || "info", `actor ${this.address}: ${utf8Decode(bytes)}`);
    }
    send(toPointer, toLength, pointer, length) {
      const started = this.outgoing(toPointer, toLength, pointer, length, (stub, data) => stub.send(data));
      if (typeof started === "number") return started;
      const [id, promise] = started;
      then(promise, undefined, (error) => this.later(MAR_FAILED, id, codeNumber(error), utf8Encode(String(error && error.message))));
      return id;
    }
    call(toPointer, toLength, pointer, length, timeoutMs) {
      const options = timeoutMs > 0 ? { timeoutMs } : undefined;
      const started = this.outgoing(toPointer, toLength, pointer, length, (stub, data) => stub.call(data, options));
      if (typeof started === "number") return started;
      const [id, promise] = started;
      then(promise, (reply) => {
        let bytes;
        try {
          bytes = toBytes(reply);
        } catch (error) {
          return this.later(MAR_FAILED, id, E_INVALID, utf8Encode(`the reply cannot be encoded: ${error.message}`));
        }
        this.later(MAR_REPLY, id, 0, bytes);
      }, (error) => this.later(MAR_FAILED, id, codeNumber(error), utf8Encode(String(error && error.message))));
      return id;
    }
    callerId(pointer, capacity) {
      if (this.caller === undefined) return -E_INVALID;
      return this.caller === null ? 0 : this.copyOut(this.caller, pointer, capacity);
    }
    timer(delayMs) {
      const id = this.nextOut++;
      try {
        internal.setTimeout(() => this.later(MAR_TIMER, id, 0, kEmpty), Math.max(0, delayMs));
      } catch {
        return -E_DENIED;
      }
      return id;
    }

    answer(id, ok, pointer, length) {
      const slot = this.requests.get(id);
      const bytes = this.bytesAt(pointer, length);
      if (slot === undefined || bytes === null) return -E_INVALID;
      this.requests.delete(id);
      slot.done = true;
      slot.ok = ok;
      slot.value = ok ? bytes.slice() : new Error(utf8Decode(bytes));
      if (slot.resolve !== null) (ok ? slot.resolve : slot.reject)(slot.value);
      return 0;
    }
  }
  defineProperty(WasmActor, "name", { value: className });
  return WasmActor;
};
