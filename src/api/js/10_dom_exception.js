// DOMException (WebIDL) and the WebIDL argument conversions the later built-ins share.
// Exports: internal.DOMException, internal.isDOMException, internal.webidl,
// internal.registerPlatformInterface, internal.platformInterfaceOf, internal.setInspectFields,
// internal.inspectFieldsOf.

// ---- WebIDL conversions -------------------------------------------------------------------------
// Intrinsics are captured now, before user code runs, so that patching a prototype later cannot
// change how the built-ins see their arguments.
const ArrayBufferByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength").get;
const SharedArrayBufferByteLength = typeof SharedArrayBuffer === "function"
  ? Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, "byteLength").get
  : null;
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const TypedArrayTag = Object.getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag).get;
const TypedArrayBuffer = Object.getOwnPropertyDescriptor(TypedArrayPrototype, "buffer").get;
const TypedArrayByteOffset = Object.getOwnPropertyDescriptor(TypedArrayPrototype, "byteOffset").get;
const TypedArrayByteLength = Object.getOwnPropertyDescriptor(TypedArrayPrototype, "byteLength").get;
const DataViewBuffer = Object.getOwnPropertyDescriptor(DataView.prototype, "buffer").get;
const DataViewByteOffset = Object.getOwnPropertyDescriptor(DataView.prototype, "byteOffset").get;
const DataViewByteLength = Object.getOwnPropertyDescriptor(DataView.prototype, "byteLength").get;
const isView = ArrayBuffer.isView;
const IteratorSymbol = Symbol.iterator;

function isArrayBuffer(value) {
  if (value === null || typeof value !== "object") return false;
  try {
    ArrayBufferByteLength.call(value);
    return true;
  } catch {
    return false;
  }
}

function isSharedArrayBuffer(value) {
  if (SharedArrayBufferByteLength === null || value === null || typeof value !== "object") return false;
  try {
    SharedArrayBufferByteLength.call(value);
    return true;
  } catch {
    return false;
  }
}

// The typed array's kind ("Uint8Array", ...), or undefined for anything else (DataView included).
function typedArrayName(value) {
  return TypedArrayTag.call(value);
}

// A Uint8Array over the same memory as an ArrayBufferView (typed array or DataView). A view on a
// detached buffer has no bytes.
function viewBytes(view) {
  const isTyped = typedArrayName(view) !== undefined;
  const length = isTyped ? TypedArrayByteLength.call(view) : DataViewByteLength.call(view);
  const buffer = isTyped ? TypedArrayBuffer.call(view) : DataViewBuffer.call(view);
  if (length === 0) return new Uint8Array(0);
  return new Uint8Array(buffer, isTyped ? TypedArrayByteOffset.call(view) : DataViewByteOffset.call(view), length);
}

const kSurrogate = /[\uD800-\uDFFF]/;
const kLoneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const webidl = {
  isArrayBuffer,
  isSharedArrayBuffer,
  isArrayBufferView: (value) => isView(value),
  typedArrayName,
  viewBytes,

  // Throws the TypeError browsers give when an operation gets too few arguments.
  requireArguments(count, required, context) {
    if (count < required) {
      throw new TypeError(`${context}: ${required} argument${required === 1 ? "" : "s"} required, but only ${count} present.`);
    }
  },

  // DOMString: ToString, which (unlike String()) refuses symbols.
  toDOMString(value, context) {
    if (typeof value === "string") return value;
    if (typeof value === "symbol") throw new TypeError(`${context}: a Symbol cannot be converted to a string.`);
    return `${value}`;
  },

  // USVString: a DOMString with lone surrogates replaced by U+FFFD (a string with no surrogate at
  // all, nearly every one, is returned after one scan).
  toUSVString(value, context) {
    const string = webidl.toDOMString(value, context);
    return kSurrogate.test(string) ? string.replace(kLoneSurrogate, "\uFFFD") : string;
  },

  // A dictionary argument: undefined and null are an empty dictionary, other non-objects throw.
  toDictionary(value, context) {
    if (value === undefined || value === null) return {};
    if (typeof value !== "object" && typeof value !== "function") {
      throw new TypeError(`${context}: the value is not an object and cannot be converted to a dictionary.`);
    }
    return value;
  },

  // [EnforceRange] integer conversion to [0, max] (unsigned long: 2 ** 32 - 1, long long: 2 ** 53 - 1).
  toEnforcedUnsigned(value, max, context) {
    let number = Number(value);
    if (!Number.isFinite(number)) throw new TypeError(`${context}: the value ${String(number)} is not a finite number.`);
    number = Math.trunc(number);
    if (number < 0 || number > max) throw new TypeError(`${context}: the value ${number} is outside the range [0, ${max}].`);
    return number === 0 ? 0 : number;  // -0 becomes +0
  },

  // sequence<T>: any iterable object, each item converted by `convert`.
  toSequence(value, context, convert) {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) {
      throw new TypeError(`${context}: the value is not iterable.`);
    }
    const method = value[IteratorSymbol];
    if (typeof method !== "function") throw new TypeError(`${context}: the value is not iterable.`);
    const result = [];
    for (const item of { [IteratorSymbol]: () => method.call(value) }) result.push(convert(item, result.length));
    return result;
  },

  // BufferSource / AllowSharedBufferSource: a Uint8Array over the caller's memory (not a copy).
  toBufferSourceBytes(value, context, allowShared = true) {
    if (isView(value)) {
      const bytes = viewBytes(value);
      if (!allowShared && isSharedArrayBuffer(bytes.buffer)) {
        throw new TypeError(`${context}: a view on a SharedArrayBuffer is not allowed here.`);
      }
      return bytes;
    }
    if (isArrayBuffer(value)) return ArrayBufferByteLength.call(value) === 0 ? new Uint8Array(0) : new Uint8Array(value);
    if (allowShared && isSharedArrayBuffer(value)) return new Uint8Array(value);
    throw new TypeError(`${context}: the value is not an ArrayBuffer or ArrayBufferView.`);
  },

  // The spec's "get a copy of the bytes held by the buffer source".
  copyBufferSource(value, context, allowShared = true) {
    return webidl.toBufferSourceBytes(value, context, allowShared).slice();
  },

  // Makes a class look like a WebIDL interface: attributes and operations (prototype and static)
  // are enumerable, as in browsers, and the prototype carries Symbol.toStringTag.
  configureInterface(klass) {
    for (const target of [klass.prototype, klass]) {
      for (const key of Reflect.ownKeys(target)) {
        if (target === klass ? key === "prototype" || key === "length" || key === "name" : key === "constructor") continue;
        const descriptor = Object.getOwnPropertyDescriptor(target, key);
        if (descriptor.configurable && (typeof descriptor.value === "function" || descriptor.get || descriptor.set)) {
          Object.defineProperty(target, key, { enumerable: true });
        }
      }
    }
    return internal.brand(klass);
  },
};
Object.freeze(webidl);
internal.webidl = webidl;

// ---- Platform objects ---------------------------------------------------------------------------
// Interfaces implemented in JS register a brand check here so that structuredClone can refuse (or
// specially clone) their instances instead of copying them as empty plain objects.
const platformInterfaces = [];
internal.registerPlatformInterface = (name, is, clone = null) => {
  platformInterfaces.push({ name, is, clone });
};
// { name, clone } for an instance of a registered interface, else null. The most derived
// interface wins because registration happens in dependency order and is searched backwards.
internal.platformInterfaceOf = (value) => {
  if (value === null || typeof value !== "object") return null;
  for (let i = platformInterfaces.length - 1; i >= 0; i--) {
    if (platformInterfaces[i].is(value)) return platformInterfaces[i];
  }
  return null;
};

// ---- Inspection -----------------------------------------------------------------------------------
// Built-in classes keep their state in private fields, which console.log cannot see. A class
// registers a function returning the plain fields to show, e.g. `Event { type: "x", ... }`; the
// registry is keyed by prototype so that nothing becomes visible to user code.
const inspectFields = new WeakMap();
internal.setInspectFields = (klass, fields) => {
  inspectFields.set(klass.prototype, fields);
};
// The fields function for a value (walking its prototype chain), or undefined.
internal.inspectFieldsOf = (value) => {
  for (let proto = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const fields = inspectFields.get(proto);
    if (fields !== undefined) return fields;
  }
  return undefined;
};

// ---- DOMException -------------------------------------------------------------------------------
// The legacy code of each name (WebIDL's error names table); names not listed have code 0.
const legacyCodes = [
  ["IndexSizeError", "INDEX_SIZE_ERR"],
  ["DOMStringSizeError", "DOMSTRING_SIZE_ERR"],
  ["HierarchyRequestError", "HIERARCHY_REQUEST_ERR"],
  ["WrongDocumentError", "WRONG_DOCUMENT_ERR"],
  ["InvalidCharacterError", "INVALID_CHARACTER_ERR"],
  ["NoDataAllowedError", "NO_DATA_ALLOWED_ERR"],
  ["NoModificationAllowedError", "NO_MODIFICATION_ALLOWED_ERR"],
  ["NotFoundError", "NOT_FOUND_ERR"],
  ["NotSupportedError", "NOT_SUPPORTED_ERR"],
  ["InUseAttributeError", "INUSE_ATTRIBUTE_ERR"],
  ["InvalidStateError", "INVALID_STATE_ERR"],
  ["SyntaxError", "SYNTAX_ERR"],
  ["InvalidModificationError", "INVALID_MODIFICATION_ERR"],
  ["NamespaceError", "NAMESPACE_ERR"],
  ["InvalidAccessError", "INVALID_ACCESS_ERR"],
  ["ValidationError", "VALIDATION_ERR"],
  ["TypeMismatchError", "TYPE_MISMATCH_ERR"],
  ["SecurityError", "SECURITY_ERR"],
  ["NetworkError", "NETWORK_ERR"],
  ["AbortError", "ABORT_ERR"],
  ["URLMismatchError", "URL_MISMATCH_ERR"],
  ["QuotaExceededError", "QUOTA_EXCEEDED_ERR"],
  ["TimeoutError", "TIMEOUT_ERR"],
  ["InvalidNodeTypeError", "INVALID_NODE_TYPE_ERR"],
  ["DataCloneError", "DATA_CLONE_ERR"],
];
const codeOfName = new Map(legacyCodes.map(([name], index) => [name, index + 1]));

const captureStackTrace = Error.captureStackTrace;

class DOMException {
  #message;
  #name;

  constructor(message = "", name = "Error") {
    this.#message = webidl.toDOMString(message, "Failed to construct 'DOMException'");
    this.#name = webidl.toDOMString(name, "Failed to construct 'DOMException'");
    // Browsers give DOMException instances a `stack` like any error; the header reads the
    // name/message getters, which are set by now.
    if (typeof captureStackTrace === "function") captureStackTrace(this, new.target);
  }

  get name() {
    if (!(#name in this)) throw new TypeError("Illegal invocation");
    return this.#name;
  }

  get message() {
    if (!(#message in this)) throw new TypeError("Illegal invocation");
    return this.#message;
  }

  get code() {
    if (!(#name in this)) throw new TypeError("Illegal invocation");
    return codeOfName.get(this.#name) ?? 0;
  }

  static isDOMException(value) {
    return value !== null && typeof value === "object" && #name in value;
  }
}

// WebIDL: DOMException.prototype inherits from Error.prototype, so `instanceof Error` holds.
Object.setPrototypeOf(DOMException.prototype, Error.prototype);
const isDOMException = DOMException.isDOMException;
delete DOMException.isDOMException;

for (const [name, constant] of legacyCodes) {
  const descriptor = { value: codeOfName.get(name), writable: false, enumerable: true, configurable: false };
  Object.defineProperty(DOMException, constant, descriptor);
  Object.defineProperty(DOMException.prototype, constant, descriptor);
}
webidl.configureInterface(DOMException);

internal.DOMException = DOMException;
internal.isDOMException = isDOMException;
internal.registerPlatformInterface("DOMException", isDOMException, (value) => new DOMException(value.message, value.name));
internal.defineGlobal("DOMException", DOMException);
