// WHATWG Streams, and the glue between JS streams and the node's native byte streams.
//
// The stream classes come from web-streams-polyfill (npm, bundled at build time), evaluated on
// first use: most requests never touch a stream (bodies are kept as strings or bytes, see 31), so
// start-up does not pay for them.
//
// Native sources (an incoming request body still on the socket, a fetch() response) are
// ReadableStreams whose pull() asks the node for one chunk — nothing is read from the network
// before JS asks, so a slow consumer slows the producer instead of filling memory. Native sinks
// (a streamed response, a streamed upload) are fed by pumpToSink, which waits whenever the node
// says its queue is full.
//
// Exports on `internal`:
//   loadStreams() -> the polyfill's exports
//   isReadableStream(value) -> boolean
//   isStreamDisturbed(stream) / isStreamLocked(stream)
//   nativeStream(id, onFinish?) -> ReadableStream over the native source `id`
//   errorNativeStream(id, reason) fails it (an aborted fetch)
//   pumpToSink(id, stream) reads `stream` into the native sink `id` (chunks must be bytes)
//   readAllBytes(stream) -> Promise<Uint8Array> (the whole stream, concatenated)
//   bytesStream(bytes) -> a ReadableStream of one chunk
// Entry points the node calls: internal.bodyChunk(id, chunk, error), internal.sinkEvent(id, what)

const apply = Reflect.apply;
const promiseThen = Promise.prototype.then;
const then = (promise, onFulfilled, onRejected) => apply(promiseThen, promise, [onFulfilled, onRejected]);
const NativePromise = Promise;

const kStreamNames = [
  "ByteLengthQueuingStrategy", "CountQueuingStrategy", "ReadableByteStreamController", "ReadableStream",
  "ReadableStreamBYOBReader", "ReadableStreamBYOBRequest", "ReadableStreamDefaultController",
  "ReadableStreamDefaultReader", "TransformStream", "TransformStreamDefaultController", "WritableStream",
  "WritableStreamDefaultController", "WritableStreamDefaultWriter",
];

let streams = null;
let getReader;
let readerRead;
let readerCancel;
let readerReleaseLock;
function loadStreams() {
  if (streams === null) {
    streams = native.loadBundle("streams");
    const readerPrototype = streams.ReadableStreamDefaultReader.prototype;
    getReader = streams.ReadableStream.prototype.getReader;
    readerRead = readerPrototype.read;
    readerCancel = readerPrototype.cancel;
    readerReleaseLock = readerPrototype.releaseLock;
  }
  return streams;
}
internal.loadStreams = loadStreams;
for (const name of kStreamNames) internal.defineGlobalGetter(name, () => loadStreams()[name]);

// Before anything loaded the polyfill no value can be one of its streams.
internal.isReadableStream = (value) =>
  streams !== null && typeof value === "object" && value !== null && value instanceof streams.ReadableStream;
internal.isStreamLocked = (stream) => stream.locked;
// The polyfill keeps "disturbed" (read from or cancelled) as a field; the spec has no accessor.
internal.isStreamDisturbed = (stream) => stream._disturbed === true;

function newReader(stream) {
  loadStreams();
  return apply(getReader, stream, []);
}
const read = (reader) => apply(readerRead, reader, []);

// --- native sources ---

const sources = new Map();  // id -> { controller, resolve (of the pending pull) | null, finish }
// A stream dropped without being read to the end or cancelled releases its native source.
const sourceRegistry = new FinalizationRegistry((id) => {
  sources.delete(id);
  native.bodyCancel(id);
});

// `onFinish` (optional) runs once when the stream ends, fails or is cancelled.
internal.nativeStream = (id, onFinish = null) => {
  const { ReadableStream } = loadStreams();
  const token = {};
  let finished = false;
  const entry = {
    controller: null,
    resolve: null,
    finish() {
      if (finished) return false;
      finished = true;
      sources.delete(id);
      sourceRegistry.unregister(token);
      if (onFinish !== null) onFinish();
      return true;
    },
  };
  const stream = new ReadableStream({
    start(controller) {
      entry.controller = controller;
    },
    pull() {
      return new NativePromise((resolve) => {
        entry.resolve = resolve;
        native.bodyPull(id);
      });
    },
    cancel() {
      if (entry.finish()) native.bodyCancel(id);
    },
  }, { highWaterMark: 0 });
  sources.set(id, entry);
  sourceRegistry.register(stream, id, token);
  return stream;
};

internal.bodyChunk = (id, chunk, error) => {
  const entry = sources.get(id);
  if (entry === undefined) return;
  const resolve = entry.resolve;
  entry.resolve = null;
  if (error !== undefined) {
    entry.finish();
    entry.controller.error(new TypeError(error));
  } else if (chunk === null) {
    entry.finish();
    entry.controller.close();
  } else {
    entry.controller.enqueue(chunk);
  }
  if (resolve !== null) resolve();
};

// Fails a native stream with `reason` (an aborted fetch) and releases its source.
internal.errorNativeStream = (id, reason) => {
  const entry = sources.get(id);
  if (entry === undefined) return;
  const resolve = entry.resolve;
  entry.resolve = null;
  entry.finish();
  native.bodyCancel(id);
  entry.controller.error(reason);
  if (resolve !== null) resolve();
};

// --- native sinks ---

const sinks = new Map();  // id -> { reader, resume }

function describe(value) {
  if (value === null) return "null";
  if (typeof value === "object") return Object.prototype.toString.call(value).slice(8, -1);
  return typeof value;
}

// Bytes of a chunk, or null when the chunk is not a BufferSource (Workers and Deno take only bytes).
function chunkBytes(chunk) {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  return null;
}

internal.pumpToSink = (id, stream, what = "response body") => {
  const reader = newReader(stream);
  const sink = { reader, resume: null };
  sinks.set(id, sink);
  const fail = (error) => {
    if (sinks.get(id) !== sink) return;
    sinks.delete(id);
    native.sinkAbort(id, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    then(apply(readerCancel, reader, [error]), undefined, () => {});
  };
  const step = () => {
    then(read(reader), (result) => {
      if (sinks.get(id) !== sink) return;
      if (result.done) {
        sinks.delete(id);
        native.sinkEnd(id);
        return;
      }
      const bytes = chunkBytes(result.value);
      if (bytes === null) {
        fail(new TypeError(`a ${what} stream must produce Uint8Array chunks, got ${describe(result.value)}`));
        return;
      }
      if (native.sinkWrite(id, bytes)) step();
      else sink.resume = step;  // the node's queue is full: go on at "drain"
    }, fail);
  };
  step();
};

internal.sinkEvent = (id, what) => {
  const sink = sinks.get(id);
  if (sink === undefined) return;
  if (what === "drain") {
    const resume = sink.resume;
    sink.resume = null;
    if (resume !== null) resume();
    return;
  }
  // The receiving end is gone (the client disconnected): stop producing.
  sinks.delete(id);
  then(apply(readerCancel, sink.reader, [new TypeError("the client disconnected")]), undefined, () => {});
};

// --- whole-body reads ---

internal.readAllBytes = (stream) => {
  const reader = newReader(stream);
  const chunks = [];
  let total = 0;
  return new NativePromise((resolve, reject) => {
    const step = () => {
      then(read(reader), (result) => {
        if (result.done) {
          apply(readerReleaseLock, reader, []);
          if (chunks.length === 1) return resolve(chunks[0]);
          const bytes = new Uint8Array(total);
          let offset = 0;
          for (const chunk of chunks) {
            bytes.set(chunk, offset);
            offset += chunk.byteLength;
          }
          resolve(bytes);
          return;
        }
        const bytes = chunkBytes(result.value);
        if (bytes === null) {
          const error = new TypeError(`a body stream must produce Uint8Array chunks, got ${describe(result.value)}`);
          then(apply(readerCancel, reader, [error]), undefined, () => {});
          reject(error);
          return;
        }
        chunks.push(bytes);
        total += bytes.byteLength;
        step();
      }, reject);
    };
    step();
  });
};

internal.bytesStream = (bytes) => {
  const { ReadableStream } = loadStreams();
  return new ReadableStream({
    start(controller) {
      if (bytes.byteLength !== 0) controller.enqueue(bytes);
      controller.close();
    },
  });
};
