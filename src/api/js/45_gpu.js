// env.GPU: WebGPU compute for a bundle granted `capabilities.gpu` (docs/gpu.md).
//
// One binding per actor (and one for the bundle's default handler in each isolate): it owns the
// buffers it creates, is held to the manifest's quotas (maxBufferBytes of live buffers,
// maxDispatchMs per dispatch), and is released, with every buffer, when its actor stops or
// crashes. The work runs on the node's GPU thread; readBuffer and dispatch settle here, on the
// actor's own shard, as events.

const NativePromise = Promise;
const isView = ArrayBuffer.isView;
const isArray = Array.isArray;
const kUsages = ["storage", "uniform"];

class GPUError extends Error {
  constructor(code, message, messages = undefined) {
    super(message);
    this.code = code;
    if (messages !== undefined) this.messages = messages;  // WGSL diagnostics: {type, line, column, message}
  }
  get name() { return "GPUError"; }
}
internal.GPUError = GPUError;

function refusal(text) {
  const colon = text.indexOf(":");
  return new GPUError(text.slice(0, colon), text.slice(colon + 1));
}

const pending = new Map();  // request id -> [resolve, reject, kind]
let nextRequest = 1;

internal.gpuSettled = (id, code, message, value, messages) => {
  const entry = pending.get(id);
  if (entry === undefined) return;
  pending.delete(id);
  if (code !== "") entry[1](new GPUError(code, message, messages));
  else if (entry[2] === "read") entry[0](value instanceof ArrayBuffer ? value : new ArrayBuffer(0));
  else entry[0](undefined);
};

function request(kind, start) {
  const id = nextRequest++;
  const outcome = start(id);
  if (outcome !== "") return NativePromise.reject(refusal(outcome));
  return new NativePromise((resolve, reject) => pending.set(id, [resolve, reject, kind]));
}

const bufferIds = new WeakMap();  // GPUBufferRef -> [binding, id]

// What createBuffer returns: a handle, usable only through the binding that made it.
class GPUBufferRef {
  #size;
  #usage;
  constructor(size, usage) {
    this.#size = size;
    this.#usage = usage;
  }
  get size() { return this.#size; }
  get usage() { return this.#usage; }
  get destroyed() { return !bufferIds.has(this); }
  get [Symbol.toStringTag]() { return "GPUBuffer"; }
}

function byteCount(value, what, allowZero) {
  if (typeof value !== "number" || !Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > Number.MAX_SAFE_INTEGER) {
    throw new TypeError(`${what} must be an integer ${allowZero ? ">= 0" : ">= 1"}`);
  }
  return value;
}

function bytesOf(data) {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError("writeBuffer: data must be an ArrayBuffer, a typed array or a DataView");
}

class GPU {
  #quota;
  #label;
  #owner = 0;       // minted on first use
  #released = false;
  constructor(quota, label) {
    this.#quota = quota;
    this.#label = label;
  }

  #ownerId() {
    if (this.#released) throw new GPUError("invalid_argument", "this actor has stopped: its GPU binding was revoked");
    if (this.#owner === 0) {
      const status = native.gpuStatus();
      if (status !== "") throw new GPUError("unavailable", `the GPU is not available: ${status}`);
      this.#owner = native.gpuOwner(this.#quota.maxBufferBytes, this.#quota.maxDispatchMs, this.#label);
    }
    return this.#owner;
  }
  #idOf(buffer, method) {
    const entry = bufferIds.get(buffer);
    if (entry === undefined) {
      if (buffer instanceof GPUBufferRef) throw new GPUError("invalid_argument", `${method}: the buffer was destroyed`);
      throw new TypeError(`${method}: expected a buffer made by env.GPU.createBuffer()`);
    }
    if (entry[0] !== this) throw new GPUError("invalid_argument", `${method}: the buffer belongs to another actor`);
    return entry[1];
  }

  get limits() { return { maxBufferBytes: this.#quota.maxBufferBytes, maxDispatchMs: this.#quota.maxDispatchMs }; }

  createBuffer(size, usage = "storage") {
    byteCount(size, "createBuffer: size", false);
    if (!kUsages.includes(usage)) throw new TypeError(`createBuffer: usage must be "storage" or "uniform"`);
    const result = native.gpuCreateBuffer(this.#ownerId(), size, usage === "uniform");
    if (typeof result === "string") throw refusal(result);
    const buffer = new GPUBufferRef(size, usage);
    bufferIds.set(buffer, [this, result]);
    return buffer;
  }

  writeBuffer(buffer, data, offset = 0) {
    const id = this.#idOf(buffer, "writeBuffer");
    const bytes = bytesOf(data);
    byteCount(offset, "writeBuffer: offset", true);
    const outcome = native.gpuWrite(this.#ownerId(), id, bytes, offset);
    if (outcome !== "") throw refusal(outcome);
  }

  readBuffer(buffer, offset = 0, size = undefined) {
    try {
      const id = this.#idOf(buffer, "readBuffer");
      byteCount(offset, "readBuffer: offset", true);
      if (size === undefined) size = Math.max(0, buffer.size - offset);
      byteCount(size, "readBuffer: size", true);
      const owner = this.#ownerId();
      return request("read", (requestId) => native.gpuRead(owner, id, offset, size, requestId));
    } catch (error) {
      return NativePromise.reject(error);
    }
  }

  dispatch(params) {
    try {
      if (params === null || typeof params !== "object") throw new TypeError("dispatch: expected { code, entryPoint?, bindings?, workgroups }");
      const { code, entryPoint = "main", bindings = [], workgroups = 1 } = params;
      if (typeof code !== "string" || code === "") throw new TypeError("dispatch: code must be WGSL source text");
      if (typeof entryPoint !== "string") throw new TypeError("dispatch: entryPoint must be a string");
      if (!isArray(bindings)) throw new TypeError("dispatch: bindings must be an array");
      const flat = [];
      for (let i = 0; i < bindings.length; i++) {
        const item = bindings[i];
        if (item instanceof GPUBufferRef) {
          flat.push(0, i, this.#idOf(item, "dispatch"), 0, 0);
          continue;
        }
        if (item === null || typeof item !== "object" || !(item.buffer instanceof GPUBufferRef)) {
          throw new TypeError(`dispatch: bindings[${i}] must be a buffer or { buffer, binding?, group?, offset?, size? }`);
        }
        flat.push(byteCount(item.group ?? 0, `dispatch: bindings[${i}].group`, true),
          byteCount(item.binding ?? i, `dispatch: bindings[${i}].binding`, true), this.#idOf(item.buffer, "dispatch"),
          byteCount(item.offset ?? 0, `dispatch: bindings[${i}].offset`, true),
          byteCount(item.size ?? 0, `dispatch: bindings[${i}].size`, true));
      }
      const counts = typeof workgroups === "number" ? [workgroups] : workgroups;
      if (!isArray(counts) || counts.length < 1 || counts.length > 3) {
        throw new TypeError("dispatch: workgroups must be a count or [x, y?, z?]");
      }
      const [x, y = 1, z = 1] = counts;
      for (const count of [x, y, z]) byteCount(count, "dispatch: each workgroup count", false);
      const owner = this.#ownerId();
      return request("dispatch", (requestId) => native.gpuDispatch(owner, code, entryPoint, flat, x, y, z, requestId));
    } catch (error) {
      return NativePromise.reject(error);
    }
  }

  destroy(buffer) {
    const id = this.#idOf(buffer, "destroy");
    bufferIds.delete(buffer);
    const outcome = native.gpuDestroy(this.#ownerId(), id);
    if (outcome !== "") throw refusal(outcome);
  }

  // The actor stopped or crashed: its buffers are freed, the binding refuses from now on.
  [internal.kActorRelease]() {
    if (this.#released) return;
    this.#released = true;
    if (this.#owner !== 0) native.gpuRelease(this.#owner);
  }
  get [Symbol.toStringTag]() { return "GPU"; }
}

const actorBindings = new Map();  // actor record -> its GPU binding

// capabilities.gpu of the actor's (possibly narrowed) set; `actor` is undefined for the bundle's
// default handler, whose binding lives as long as the isolate.
internal.newGpuBinding = (grant, actor) => {
  const quota = { maxBufferBytes: grant.maxBufferBytes, maxDispatchMs: grant.maxDispatchMs };
  const binding = new GPU(quota, actor === undefined ? "the default handler" : `actor ${actor.address}`);
  if (actor !== undefined) actorBindings.set(actor, binding);
  return binding;
};

internal.gpuReleaseActor = (actor) => {
  const binding = actorBindings.get(actor);
  if (binding === undefined) return;
  actorBindings.delete(actor);
  binding[internal.kActorRelease]();
};
