// `crypto` (W3C Web Cryptography API): getRandomValues, randomUUID, and a SubtleCrypto with SHA
// digests and HMAC (sign, verify, importKey/exportKey as raw or JWK, generateKey). Every other
// algorithm or method rejects with a NotSupportedError that says what mar supports.
// Exports: internal.Crypto, internal.SubtleCrypto, internal.CryptoKey, internal.isCryptoKey.

const { webidl, DOMException } = internal;

const constructorKey = {};
const kSupported = "mar's crypto.subtle supports the SHA-1, SHA-256, SHA-384 and SHA-512 digests and HMAC";
const kMaxRandomBytes = 65536;
const kIntegerArrays = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array"];

// ---- Crypto ---------------------------------------------------------------------------------------
let subtle;  // the one SubtleCrypto, created below

class Crypto {
  #brand = true;

  constructor(key = undefined) {
    if (key !== constructorKey) throw new TypeError("Illegal constructor");
  }

  get subtle() {
    if (!(#brand in this)) throw new TypeError("Illegal invocation");
    return subtle;
  }

  getRandomValues(array) {
    if (!(#brand in this)) throw new TypeError("Illegal invocation");
    const context = "Failed to execute 'getRandomValues' on 'Crypto'";
    webidl.requireArguments(arguments.length, 1, context);
    if (!webidl.isArrayBufferView(array)) throw new TypeError(`${context}: parameter 1 is not of type 'ArrayBufferView'.`);
    const kind = webidl.typedArrayName(array);
    if (!kIntegerArrays.includes(kind)) {
      throw new DOMException(`${context}: The provided ArrayBufferView is of type '${kind ?? "DataView"}', which is not an integer array type.`, "TypeMismatchError");
    }
    const bytes = webidl.viewBytes(array);
    if (webidl.isSharedArrayBuffer(bytes.buffer)) {
      throw new TypeError(`${context}: The provided ArrayBufferView value must not be shared.`);
    }
    const byteLength = bytes.byteLength;
    if (byteLength > kMaxRandomBytes) {
      throw new DOMException(`${context}: The ArrayBufferView's byte length (${byteLength}) exceeds the number of bytes of entropy available via this API (${kMaxRandomBytes}).`, "QuotaExceededError");
    }
    native.randomFill(array);
    return array;
  }

  randomUUID() {
    if (!(#brand in this)) throw new TypeError("Illegal invocation");
    return native.randomUUID();
  }
}
webidl.configureInterface(Crypto);

// ---- CryptoKey ------------------------------------------------------------------------------------
const kUsages = ["encrypt", "decrypt", "sign", "verify", "deriveKey", "deriveBits", "wrapKey", "unwrapKey"];
let keySlots;  // (value) => the key's internal slots, or undefined if not a CryptoKey

class CryptoKey {
  #slots;

  constructor(key = undefined, slots = undefined) {
    if (key !== constructorKey) throw new TypeError("Illegal constructor");
    this.#slots = slots;
  }

  static {
    keySlots = (value) => (value !== null && typeof value === "object" && #slots in value ? value.#slots : undefined);
  }

  get type() { return slotsOf(this).type; }
  get extractable() { return slotsOf(this).extractable; }
  get algorithm() { return slotsOf(this).algorithmObject; }
  get usages() { return slotsOf(this).usagesObject; }
}
webidl.configureInterface(CryptoKey);

function slotsOf(key) {
  const slots = keySlots(key);
  if (slots === undefined) throw new TypeError("Illegal invocation");
  return slots;
}

// An HMAC secret key. `length` is in bits; `usages` are already checked and normalized.
function newHmacKey(keyData, hash, length, extractable, usages) {
  return new CryptoKey(constructorKey, {
    type: "secret",
    extractable,
    algorithm: { name: "HMAC", hash, length },
    usages,
    keyData,
    // The objects the attribute getters return (the same object every time, as the spec caches).
    algorithmObject: { name: "HMAC", hash: { name: hash }, length },
    usagesObject: usages.slice(),
  });
}

// ---- Algorithm normalization (WebCrypto "normalize an algorithm") -------------------------------
const kDigests = new Map([["sha-1", "SHA-1"], ["sha-256", "SHA-256"], ["sha-384", "SHA-384"], ["sha-512", "SHA-512"]]);
const kHashBlockBits = { "SHA-1": 512, "SHA-256": 512, "SHA-384": 1024, "SHA-512": 1024 };
const kJwkAlg = { "SHA-1": "HS1", "SHA-256": "HS256", "SHA-384": "HS384", "SHA-512": "HS512" };

function notSupported(operation, name) {
  return new DOMException(`Algorithm '${name}' is not supported by crypto.subtle.${operation} in mar; ${kSupported}.`, "NotSupportedError");
}

// The algorithm's dictionary and name: a string is { name: string }.
function algorithmDictionary(algorithm, context) {
  if (algorithm !== null && (typeof algorithm === "object" || typeof algorithm === "function")) {
    const name = algorithm.name;
    if (name === undefined) throw new TypeError(`${context}: Algorithm: name: Missing required 'name' member of AlgorithmIdentifier.`);
    return { dictionary: algorithm, name: webidl.toDOMString(name, context) };
  }
  return { dictionary: {}, name: webidl.toDOMString(algorithm, context) };
}

// The canonical SHA name for a HashAlgorithmIdentifier (NotSupportedError if not a SHA digest).
function normalizeHash(operation, algorithm, context) {
  const { name } = algorithmDictionary(algorithm, context);
  const hash = kDigests.get(name.toLowerCase());
  if (hash === undefined) throw notSupported(operation, name);
  return hash;
}

// Normalizes an algorithm for `operation` where only HMAC is supported. Returns { hash?, length? }.
function normalizeHmac(operation, algorithm, context, withParams) {
  const { dictionary, name } = algorithmDictionary(algorithm, context);
  if (name.toLowerCase() !== "hmac") throw notSupported(operation, name);
  if (!withParams) return {};
  // HmacImportParams / HmacKeyGenParams: members in lexicographic order (hash, length).
  const hashMember = dictionary.hash;
  if (hashMember === undefined) throw new TypeError(`${context}: HmacKeyParams: hash: Missing required 'hash' member.`);
  const hash = normalizeHash(operation, hashMember, context);
  const lengthMember = dictionary.length;
  const length = lengthMember === undefined ? undefined : webidl.toEnforcedUnsigned(lengthMember, 2 ** 32 - 1, `${context}: HmacKeyParams: length`);
  return { hash, length };
}

function toKeyFormat(format, context) {
  format = webidl.toDOMString(format, context);
  if (format !== "raw" && format !== "spki" && format !== "pkcs8" && format !== "jwk") {
    throw new TypeError(`${context}: The provided value '${format}' is not a valid enum value of type KeyFormat.`);
  }
  return format;
}

function toKeyUsages(usages, context) {
  return webidl.toSequence(usages, context, (usage) => {
    usage = webidl.toDOMString(usage, context);
    if (!kUsages.includes(usage)) throw new TypeError(`${context}: The provided value '${usage}' is not a valid enum value of type KeyUsage.`);
    return usage;
  });
}

// HMAC keys allow only sign and verify; the result is de-duplicated, in the spec's order.
function hmacUsages(usages) {
  for (const usage of usages) {
    if (usage !== "sign" && usage !== "verify") {
      throw new DOMException(`Cannot create an HMAC key with usage '${usage}': HMAC keys may only be used to 'sign' and 'verify'.`, "SyntaxError");
    }
  }
  return kUsages.filter((usage) => usages.includes(usage));
}

// The last step of importKey/generateKey: a secret key must be usable for something.
function requireUsages(usages) {
  if (usages.length === 0) throw new DOMException("Usages cannot be empty when creating a key.", "SyntaxError");
}

function toCryptoKey(key, context, index) {
  if (keySlots(key) === undefined) throw new TypeError(`${context}: parameter ${index} is not of type 'CryptoKey'.`);
  return keySlots(key);
}

function requireHmacKey(slots, usage) {
  if (slots.algorithm.name !== "HMAC") throw new DOMException("key.algorithm does not match that of operation", "InvalidAccessError");
  if (!slots.usages.includes(usage)) throw new DOMException("key.usages does not permit this operation", "InvalidAccessError");
}

// ---- JWK ------------------------------------------------------------------------------------------
function jwkString(jwk, member, context) {
  const value = jwk[member];
  return value === undefined ? undefined : webidl.toDOMString(value, `${context}: JsonWebKey: ${member}`);
}

function importHmacJwk(jwk, hash, usages, extractable, context) {
  // JsonWebKey members are read in lexicographic order: alg, ext, k, key_ops, kty, use.
  const alg = jwkString(jwk, "alg", context);
  const ext = jwk.ext === undefined ? undefined : !!jwk.ext;
  const k = jwkString(jwk, "k", context);
  const keyOps = jwk.key_ops === undefined ? undefined
    : webidl.toSequence(jwk.key_ops, `${context}: JsonWebKey: key_ops`, (op) => webidl.toDOMString(op, context));
  const kty = jwkString(jwk, "kty", context);
  const use = jwkString(jwk, "use", context);
  if (kty !== "oct") throw new DOMException("The JWK 'kty' member was not 'oct'.", "DataError");
  if (k === undefined) throw new DOMException("The JWK 'k' member is missing.", "DataError");
  const keyData = internal.base64Decode(k, true);
  if (keyData === null) throw new DOMException("The JWK 'k' member is not valid base64url.", "DataError");
  if (alg !== undefined && alg !== kJwkAlg[hash]) {
    throw new DOMException(`The JWK 'alg' member was '${alg}', which does not match the hash ${hash} (expected '${kJwkAlg[hash]}').`, "DataError");
  }
  if (usages.length > 0 && use !== undefined && use !== "sig") throw new DOMException("The JWK 'use' member was not 'sig'.", "DataError");
  if (keyOps !== undefined) {
    if (new Set(keyOps).size !== keyOps.length) throw new DOMException("The JWK 'key_ops' member contains duplicates.", "DataError");
    for (const usage of usages) {
      if (!keyOps.includes(usage)) throw new DOMException(`The JWK 'key_ops' member does not include the requested usage '${usage}'.`, "DataError");
    }
  }
  if (ext === false && extractable) throw new DOMException("The JWK 'ext' member was false but the key was requested to be extractable.", "DataError");
  return keyData;
}

// ---- SubtleCrypto ---------------------------------------------------------------------------------
let isSubtleCrypto;

// Runs a SubtleCrypto operation: any exception (bad arguments included) becomes a rejection.
function operation(self, body) {
  try {
    if (!isSubtleCrypto(self)) throw new TypeError("Illegal invocation");
    return Promise.resolve(body());
  } catch (error) {
    return Promise.reject(error);
  }
}

// The methods mar does not implement reject after their arguments and algorithm are checked.
function unsupportedOperation(self, name, argumentCount, required, algorithm) {
  return operation(self, () => {
    const context = `Failed to execute '${name}' on 'SubtleCrypto'`;
    webidl.requireArguments(argumentCount, required, context);
    throw notSupported(name, algorithmDictionary(algorithm, context).name);
  });
}

class SubtleCrypto {
  #brand = true;

  constructor(key = undefined) {
    if (key !== constructorKey) throw new TypeError("Illegal constructor");
  }

  static {
    isSubtleCrypto = (value) => value !== null && typeof value === "object" && #brand in value;
  }

  digest(algorithm, data) {
    return operation(this, () => {
      const context = "Failed to execute 'digest' on 'SubtleCrypto'";
      webidl.requireArguments(arguments.length, 2, context);
      const bytes = webidl.toBufferSourceBytes(data, context, false);
      const hash = normalizeHash("digest", algorithm, context);
      return native.digest(hash, bytes);
    });
  }

  importKey(format, keyData, algorithm, extractable, keyUsages) {
    return operation(this, () => {
      const context = "Failed to execute 'importKey' on 'SubtleCrypto'";
      webidl.requireArguments(arguments.length, 5, context);
      format = toKeyFormat(format, context);
      // (BufferSource or JsonWebKey): buffers are one branch, any other object (or null) the other.
      const isBuffer = webidl.isArrayBufferView(keyData) || webidl.isArrayBuffer(keyData) || webidl.isSharedArrayBuffer(keyData);
      if (!isBuffer && keyData !== null && keyData !== undefined && typeof keyData !== "object") {
        throw new TypeError(`${context}: parameter 2 is not a BufferSource or a JsonWebKey dictionary.`);
      }
      extractable = !!extractable;
      const usages = toKeyUsages(keyUsages, context);
      const { hash, length } = normalizeHmac("importKey", algorithm, context, true);
      if ((format === "jwk") === isBuffer) {
        throw new TypeError(`${context}: key data for the '${format}' format must be ${format === "jwk" ? "a JsonWebKey dictionary" : "a BufferSource"}.`);
      }
      const normalizedUsages = hmacUsages(usages);
      let bytes;
      if (format === "raw") {
        bytes = webidl.copyBufferSource(keyData, context, false);
      } else if (format === "jwk") {
        bytes = importHmacJwk(keyData ?? {}, hash, usages, extractable, context);
      } else {
        throw new DOMException(`HMAC keys cannot be imported in the '${format}' format; use 'raw' or 'jwk'.`, "NotSupportedError");
      }
      const dataBits = bytes.length * 8;
      if (dataBits === 0) throw new DOMException("HMAC key data must not be empty.", "DataError");
      let bits = dataBits;
      if (length !== undefined) {
        if (length > dataBits || length <= dataBits - 8) {
          throw new DOMException(`The HMAC length ${length} does not fit key data of ${dataBits} bits.`, "DataError");
        }
        bits = length;
      }
      requireUsages(normalizedUsages);
      return newHmacKey(bytes, hash, bits, extractable, normalizedUsages);
    });
  }

  exportKey(format, key) {
    return operation(this, () => {
      const context = "Failed to execute 'exportKey' on 'SubtleCrypto'";
      webidl.requireArguments(arguments.length, 2, context);
      format = toKeyFormat(format, context);
      const slots = toCryptoKey(key, context, 2);
      if (!slots.extractable) throw new DOMException("key is not extractable", "InvalidAccessError");
      if (format === "raw") return slots.keyData.slice().buffer;
      if (format === "jwk") {
        // Dictionary members come out in lexicographic order, as WebIDL converts them.
        return {
          alg: kJwkAlg[slots.algorithm.hash],
          ext: slots.extractable,
          k: internal.base64Encode(slots.keyData, true),
          key_ops: slots.usages.slice(),
          kty: "oct",
        };
      }
      throw new DOMException(`HMAC keys cannot be exported in the '${format}' format; use 'raw' or 'jwk'.`, "NotSupportedError");
    });
  }

  generateKey(algorithm, extractable, keyUsages) {
    return operation(this, () => {
      const context = "Failed to execute 'generateKey' on 'SubtleCrypto'";
      webidl.requireArguments(arguments.length, 3, context);
      extractable = !!extractable;
      const usages = toKeyUsages(keyUsages, context);
      const { hash, length } = normalizeHmac("generateKey", algorithm, context, true);
      const normalizedUsages = hmacUsages(usages);
      let bits = kHashBlockBits[hash];
      if (length !== undefined) {
        if (length === 0) throw new DOMException("HMAC key length must not be zero.", "OperationError");
        bits = length;
      }
      const bytes = new Uint8Array(Math.ceil(bits / 8));
      for (let offset = 0; offset < bytes.length; offset += kMaxRandomBytes) {
        native.randomFill(bytes.subarray(offset, offset + kMaxRandomBytes));
      }
      requireUsages(normalizedUsages);
      return newHmacKey(bytes, hash, bits, extractable, normalizedUsages);
    });
  }

  sign(algorithm, key, data) {
    return operation(this, () => {
      const context = "Failed to execute 'sign' on 'SubtleCrypto'";
      webidl.requireArguments(arguments.length, 3, context);
      const slots = toCryptoKey(key, context, 2);
      const bytes = webidl.toBufferSourceBytes(data, context, false);
      normalizeHmac("sign", algorithm, context, false);
      requireHmacKey(slots, "sign");
      return native.hmac(slots.algorithm.hash, slots.keyData, bytes);
    });
  }

  verify(algorithm, key, signature, data) {
    return operation(this, () => {
      const context = "Failed to execute 'verify' on 'SubtleCrypto'";
      webidl.requireArguments(arguments.length, 4, context);
      const slots = toCryptoKey(key, context, 2);
      const signatureBytes = webidl.toBufferSourceBytes(signature, context, false);
      const bytes = webidl.toBufferSourceBytes(data, context, false);
      normalizeHmac("verify", algorithm, context, false);
      requireHmacKey(slots, "verify");
      const expected = new Uint8Array(native.hmac(slots.algorithm.hash, slots.keyData, bytes));
      if (expected.length !== signatureBytes.length) return false;
      return native.timingSafeEqual(expected, signatureBytes);
    });
  }

  encrypt(algorithm, key, data) { return unsupportedOperation(this, "encrypt", arguments.length, 3, algorithm); }
  decrypt(algorithm, key, data) { return unsupportedOperation(this, "decrypt", arguments.length, 3, algorithm); }
  deriveBits(algorithm, baseKey, length = null) { return unsupportedOperation(this, "deriveBits", arguments.length, 2, algorithm); }
  deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
    return unsupportedOperation(this, "deriveKey", arguments.length, 5, algorithm);
  }
  wrapKey(format, key, wrappingKey, wrapAlgorithm) {
    return unsupportedOperation(this, "wrapKey", arguments.length, 4, wrapAlgorithm);
  }
  unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, keyUsages) {
    return unsupportedOperation(this, "unwrapKey", arguments.length, 7, unwrapAlgorithm);
  }
}
webidl.configureInterface(SubtleCrypto);

subtle = new SubtleCrypto(constructorKey);
const crypto = new Crypto(constructorKey);

internal.Crypto = Crypto;
internal.SubtleCrypto = SubtleCrypto;
internal.CryptoKey = CryptoKey;
internal.isCryptoKey = (value) => keySlots(value) !== undefined;
internal.registerPlatformInterface("Crypto", (value) => value === crypto);
internal.registerPlatformInterface("SubtleCrypto", isSubtleCrypto);
// CryptoKey is [Serializable]: a clone shares the (immutable) key material.
internal.registerPlatformInterface("CryptoKey", internal.isCryptoKey, (key) => {
  const slots = slotsOf(key);
  return new CryptoKey(constructorKey, {
    ...slots,
    algorithmObject: { name: "HMAC", hash: { name: slots.algorithm.hash }, length: slots.algorithm.length },
    usagesObject: slots.usages.slice(),
  });
});
internal.setInspectFields(CryptoKey, (key) => {
  const slots = slotsOf(key);
  return { type: slots.type, extractable: slots.extractable, algorithm: slots.algorithmObject, usages: slots.usagesObject };
});

internal.defineGlobal("Crypto", Crypto);
internal.defineGlobal("SubtleCrypto", SubtleCrypto);
internal.defineGlobal("CryptoKey", CryptoKey);
internal.defineGlobal("crypto", crypto);
