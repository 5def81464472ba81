// The Body mixin of the Fetch Standard (§5.3), shared by Request (32) and Response (33).
//
// A body is kept as its source: null (no body), a string (a USVString, UTF-8 encoded only when
// bytes are needed), a Uint8Array that nothing outside owns (user buffers are copied on the way
// in; the runtime hands over request bodies it will not touch again), or a ReadableStream (a
// user's stream, or a native one: a large request body, a fetch() response). So
// `new Response("hi").text()` hands back the very string, and arrayBuffer() of a request body
// hands back its buffer without a copy; a stream is made only when `body` is read, and from then
// on the stream is the source.
//
// Exports on `internal`:
//   extractBody(value) -> { source, type }  Fetch "extract a body" for a non-null BodyInit: source
//                          is a string or an owned Uint8Array, type the Content-Type or null
//   toUSVString(string)    lone surrogates replaced by U+FFFD (WebIDL USVString)
//   bodyUsedError()        the TypeError for a second read
//   installBody(klass, access)  adds body, bodyUsed, arrayBuffer, blob, bytes, formData, json and
//                          text to klass.prototype; `access` reaches the class's private state:
//                            source(object) -> null | string | Uint8Array | ReadableStream
//                                              (throws on a foreign object)
//                            setSource(object, source)
//                            used(object) -> boolean
//                            markUsed(object)
//                            headers(object) -> Headers (for formData()'s Content-Type)
//   cloneBodySource(source) -> [forTheOriginal, forTheClone]: strings are shared, bytes copied,
//                          streams teed
//   isBodyUnusable(source, used) -> boolean  (Fetch "unusable": used, or a disturbed/locked stream)
//   isStreamSource(source) -> boolean  (a ReadableStream rather than null, a string or bytes)

const kTextPlain = "text/plain;charset=UTF-8";
const kFormUrlEncoded = "application/x-www-form-urlencoded;charset=UTF-8";
const webidl = internal.webidl;
// Body types of the Fetch Standard that mar cannot take yet. Anything else that is not a string,
// buffer or URLSearchParams is converted with ToString, as WebIDL's union conversion does.
const kUnsupportedBodyTags = new Set(["Blob", "File"]);

function toUSVString(string) {
  return webidl.toUSVString(string, "body");
}

function tagOf(value) {
  return Object.prototype.toString.call(value).slice(8, -1);
}

const kArrayBufferSlice = ArrayBuffer.prototype.slice;

// WebIDL "get a copy of the bytes held by the buffer source"; a detached buffer holds no bytes.
function copyArrayBuffer(buffer) {
  return buffer.byteLength === 0 ? new Uint8Array(0) : new Uint8Array(kArrayBufferSlice.call(buffer, 0));
}

function copyView(value) {
  const length = value.byteLength;
  const copy = new Uint8Array(length);
  if (length !== 0) copy.set(new Uint8Array(value.buffer, value.byteOffset, length));
  return copy;
}

function unsupportedBodyType(tag) {
  return new TypeError(`mar does not support this body type yet: ${tag}; pass a string, ArrayBuffer, ArrayBufferView, ReadableStream, URLSearchParams or FormData`);
}

// Fetch "extract a body" for a value that is not null or undefined.
function extractBody(value) {
  if (typeof value === "string") return { source: toUSVString(value), type: kTextPlain };
  if (typeof value === "object" || typeof value === "function") {
    if (value instanceof ArrayBuffer) return { source: copyArrayBuffer(value), type: null };
    if (ArrayBuffer.isView(value)) return { source: copyView(value), type: null };
    const tag = tagOf(value);
    // An ArrayBuffer from another context (instanceof fails there); slice() checks it is one.
    if (tag === "ArrayBuffer") return { source: copyArrayBuffer(value), type: null };
    if (tag === "URLSearchParams" && value instanceof global.URLSearchParams) {
      return { source: toUSVString(value.toString()), type: kFormUrlEncoded };
    }
    if (tag === "FormData" && internal.isFormData !== undefined && internal.isFormData(value)) {
      return internal.serializeFormData(value);
    }
    if (internal.isReadableStream(value)) {
      if (internal.isStreamDisturbed(value) || internal.isStreamLocked(value)) {
        throw new TypeError("the body ReadableStream has already been read from or is locked to a reader");
      }
      return { source: value, type: null };
    }
    if (kUnsupportedBodyTags.has(tag) || tag === "FormData" || tag === "SharedArrayBuffer") {
      throw unsupportedBodyType(tag);
    }
  }
  // WebIDL's (... or USVString) union: any other value becomes its string form, as in Workers and
  // Deno (`new Response(42)` has the body "42").
  return { source: toUSVString(`${value}`), type: kTextPlain };
}

function cloneBodySource(source) {
  if (source instanceof Uint8Array) return [source, source.slice()];
  if (internal.isReadableStream(source)) return source.tee();
  return [source, source];
}

// A body source is a string, bytes or a stream; this tells the stream apart without loading the
// streams implementation.
function isStreamSource(source) {
  return source !== null && typeof source === "object" && !(source instanceof Uint8Array);
}

function isBodyUnusable(source, used) {
  if (used) return true;
  return internal.isReadableStream(source) && (internal.isStreamDisturbed(source) || internal.isStreamLocked(source));
}

function bodyUsedError() {
  return new TypeError("Body has already been used; a body can be read only once (call clone() before the first read to read it twice)");
}

// UTF-8 decode as the Fetch Standard's text() does: invalid sequences become U+FFFD and a
// leading byte order mark is dropped.
function decodeText(source) {
  if (source === null) return "";
  const text = typeof source === "string" ? source : native.utf8Decode(source, false);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function toBytes(source) {
  if (source === null) return new Uint8Array(0);
  if (typeof source === "string") return native.utf8Encode(source);
  return source;
}

// An ArrayBuffer holding exactly `bytes`; the buffer itself when the view covers all of it, which
// is safe because a consumed body's bytes are never read again.
function toArrayBuffer(bytes) {
  const buffer = bytes.buffer;
  if (bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) return buffer;
  return buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

function installBody(klass, access) {
  // Fetch "consume body": a second read of a non-null body fails; a null body reads as empty any
  // number of times. The body counts as used as soon as the read starts, not when it settles.
  function take(object) {
    const source = access.source(object);
    if (isBodyUnusable(source, access.used(object))) throw bodyUsedError();
    if (source !== null) access.markUsed(object);
    return source;
  }
  // Reads the body and hands `convert` its string or bytes source (a stream is read to the end first).
  function consume(object, convert) {
    let source;
    try {
      source = take(object);
    } catch (error) {
      return Promise.reject(error);
    }
    if (isStreamSource(source)) {
      return internal.readAllBytes(source).then(convert);
    }
    try {
      return Promise.resolve(convert(source));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const members = {
    get body() {
      const source = access.source(this);
      if (source === null) return null;
      if (isStreamSource(source)) return source;
      // From now on the stream is the body; a body already used gives a stream that is used too.
      const stream = internal.bytesStream(access.used(this) ? new Uint8Array(0) : toBytes(source));
      if (access.used(this)) stream.getReader().read();
      access.setSource(this, stream);
      return stream;
    },
    get bodyUsed() {
      const source = access.source(this);
      if (access.used(this)) return true;
      return internal.isReadableStream(source) && internal.isStreamDisturbed(source);
    },
    arrayBuffer() {
      return consume(this, (source) => toArrayBuffer(toBytes(source)));
    },
    blob() {
      try {
        access.source(this);
        throw new TypeError("mar does not support Blob yet; read the body with arrayBuffer(), bytes() or text()");
      } catch (error) {
        return Promise.reject(error);
      }
    },
    bytes() {
      return consume(this, (source) => new Uint8Array(toArrayBuffer(toBytes(source))));
    },
    formData() {
      const contentType = (() => {
        try {
          return internal.headersGet(access.headers(this), "content-type");
        } catch {
          return null;
        }
      })();
      return consume(this, (source) => {
        if (internal.parseFormData === undefined) throw new TypeError("mar does not support formData() yet");
        return internal.parseFormData(source, contentType);
      });
    },
    json() {
      return consume(this, (source) => JSON.parse(decodeText(source)));
    },
    text() {
      return consume(this, decodeText);
    },
  };
  for (const key of Reflect.ownKeys(members)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(members, key);
    descriptor.enumerable = false;
    Object.defineProperty(klass.prototype, key, descriptor);
  }
}

internal.extractBody = extractBody;
internal.toUSVString = toUSVString;
internal.bodyUsedError = bodyUsedError;
internal.cloneBodySource = cloneBodySource;
internal.isBodyUnusable = isBodyUnusable;
internal.isStreamSource = isStreamSource;
internal.decodeBodyText = decodeText;
internal.installBody = installBody;
internal.kTextPlainUtf8 = kTextPlain;
