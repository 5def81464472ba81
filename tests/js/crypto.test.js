import { assert, assertEquals, assertThrows, assertRejects } from "./assert.js";

const utf8 = (text) => new TextEncoder().encode(text);
const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text) => new Uint8Array(text.match(/../g).map((pair) => parseInt(pair, 16)));

async function assertDOMRejects(fn, name, messageIncludes) {
  const error = await assertRejects(fn, DOMException, messageIncludes);
  assertEquals(error.name, name);
  return error;
}

async function hmacKey(keyBytes, hash, usages = ["sign", "verify"], extractable = true) {
  return crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash }, extractable, usages);
}

// RFC 4231 test cases 1, 2 and 6 (and RFC 2202 case 1 for SHA-1).
const kHmacVectors = [
  [new Uint8Array(20).fill(0x0b), "Hi There", "SHA-256", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
  [new Uint8Array(20).fill(0x0b), "Hi There", "SHA-384", "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"],
  [new Uint8Array(20).fill(0x0b), "Hi There", "SHA-512", "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"],
  [new Uint8Array(20).fill(0x0b), "Hi There", "SHA-1", "b617318655057264e28bc0b6fb378c8ef146be00"],
  [utf8("Jefe"), "what do ya want for nothing?", "SHA-256", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
  [utf8("Jefe"), "what do ya want for nothing?", "SHA-512", "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"],
  [new Uint8Array(131).fill(0xaa), "Test Using Larger Than Block-Size Key - Hash Key First", "SHA-256", "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"],
];

export const tests = {
  "digest: FIPS 180 'abc' vectors": async () => {
    const abc = utf8("abc");
    assertEquals(hex(await crypto.subtle.digest("SHA-1", abc)), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assertEquals(hex(await crypto.subtle.digest("SHA-256", abc)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertEquals(hex(await crypto.subtle.digest("SHA-384", abc)), "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
    assertEquals(hex(await crypto.subtle.digest("SHA-512", abc)), "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  },

  "digest: empty and two-block messages": async () => {
    assertEquals(hex(await crypto.subtle.digest("SHA-256", new Uint8Array(0))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const twoBlocks = utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
    assertEquals(hex(await crypto.subtle.digest("SHA-256", twoBlocks)), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    assertEquals(hex(await crypto.subtle.digest("SHA-1", twoBlocks)), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  },

  "digest: algorithm identifiers and BufferSource kinds": async () => {
    const expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    const abc = utf8("abc");
    assertEquals(hex(await crypto.subtle.digest({ name: "SHA-256" }, abc)), expected);
    assertEquals(hex(await crypto.subtle.digest("sha-256", abc)), expected);
    assertEquals(hex(await crypto.subtle.digest({ name: "Sha-256", extra: 1 }, abc.buffer)), expected);
    const padded = utf8("xxabcyy");
    assertEquals(hex(await crypto.subtle.digest("SHA-256", padded.subarray(2, 5))), expected);
    assertEquals(hex(await crypto.subtle.digest("SHA-256", new DataView(padded.buffer, 2, 3))), expected);
    const result = await crypto.subtle.digest("SHA-256", abc);
    assert(result instanceof ArrayBuffer);
    assertEquals(result.byteLength, 32);
  },

  "digest: errors are rejections": async () => {
    const pending = crypto.subtle.digest();
    assert(pending instanceof Promise, "no synchronous throw");
    await assertRejects(() => pending, TypeError);
    await assertRejects(() => crypto.subtle.digest("SHA-256", "abc"), TypeError);
    await assertRejects(() => crypto.subtle.digest("SHA-256", [1, 2]), TypeError);
    await assertRejects(() => crypto.subtle.digest({}, new Uint8Array(1)), TypeError);
    await assertRejects(() => crypto.subtle.digest("SHA-256", new Uint8Array(new SharedArrayBuffer(1))), TypeError);
    const error = await assertDOMRejects(() => crypto.subtle.digest("MD5", new Uint8Array(1)), "NotSupportedError");
    assert(error.message.includes("MD5") && error.message.includes("mar"), error.message);
    await assertDOMRejects(() => crypto.subtle.digest("SHA-224", new Uint8Array(1)), "NotSupportedError");
    await assertRejects(() => crypto.subtle.digest.call({}, "SHA-256", new Uint8Array(1)), TypeError);
  },

  "HMAC: RFC 4231 vectors sign and verify": async () => {
    for (const [keyBytes, message, hash, mac] of kHmacVectors) {
      const key = await hmacKey(keyBytes, hash);
      const signature = await crypto.subtle.sign("HMAC", key, utf8(message));
      assert(signature instanceof ArrayBuffer);
      assertEquals(hex(signature), mac, `${hash} ${message}`);
      assertEquals(await crypto.subtle.verify({ name: "hmac" }, key, fromHex(mac), utf8(message)), true, hash);
    }
  },

  "HMAC: verify rejects wrong signatures and data": async () => {
    const [keyBytes, message, hash, mac] = kHmacVectors[0];
    const key = await hmacKey(keyBytes, hash);
    const tampered = fromHex(mac);
    tampered[31] ^= 1;
    assertEquals(await crypto.subtle.verify("HMAC", key, tampered, utf8(message)), false);
    assertEquals(await crypto.subtle.verify("HMAC", key, fromHex(mac).subarray(0, 16), utf8(message)), false);
    assertEquals(await crypto.subtle.verify("HMAC", key, new Uint8Array(0), utf8(message)), false);
    assertEquals(await crypto.subtle.verify("HMAC", key, fromHex(mac), utf8(message + "!")), false);
  },

  "HMAC: usages are enforced": async () => {
    const verifyOnly = await hmacKey(utf8("k"), "SHA-256", ["verify"]);
    const error = await assertDOMRejects(() => crypto.subtle.sign("HMAC", verifyOnly, utf8("x")), "InvalidAccessError");
    assertEquals(error.code, 15);
    const signOnly = await hmacKey(utf8("k"), "SHA-256", ["sign"]);
    await assertDOMRejects(() => crypto.subtle.verify("HMAC", signOnly, new Uint8Array(32), utf8("x")), "InvalidAccessError");
    await assertRejects(() => crypto.subtle.sign("HMAC", { type: "secret" }, utf8("x")), TypeError);
    await assertDOMRejects(() => crypto.subtle.sign("RSASSA-PKCS1-v1_5", signOnly, utf8("x")), "NotSupportedError");
  },

  "importKey: usages and parameters are checked": async () => {
    await assertDOMRejects(() => hmacKey(utf8("k"), "SHA-256", ["encrypt"]), "SyntaxError");
    await assertDOMRejects(() => hmacKey(utf8("k"), "SHA-256", []), "SyntaxError");
    await assertRejects(() => hmacKey(utf8("k"), "SHA-256", ["fly"]), TypeError);
    await assertRejects(() => crypto.subtle.importKey("raw", utf8("k"), { name: "HMAC" }, true, ["sign"]), TypeError);
    await assertDOMRejects(() => hmacKey(utf8("k"), "SHA-3", ["sign"]), "NotSupportedError");
    await assertDOMRejects(() => hmacKey(new Uint8Array(0), "SHA-256"), "DataError");
    await assertRejects(() => crypto.subtle.importKey("bogus", utf8("k"), { name: "HMAC", hash: "SHA-256" }, true, ["sign"]), TypeError);
    await assertRejects(() => crypto.subtle.importKey("raw", utf8("k"), { name: "HMAC", hash: "SHA-256" }, true), TypeError);
    await assertRejects(() => crypto.subtle.importKey("raw", { k: "x" }, { name: "HMAC", hash: "SHA-256" }, true, ["sign"]), TypeError);
    await assertDOMRejects(() => crypto.subtle.importKey("spki", utf8("k"), { name: "HMAC", hash: "SHA-256" }, true, ["sign"]), "NotSupportedError");
    const key = await hmacKey(utf8("k"), { name: "sha-384" }, ["verify", "sign", "sign"]);
    assertEquals(key.usages, ["sign", "verify"]);
    assertEquals(key.algorithm, { name: "HMAC", hash: { name: "SHA-384" }, length: 8 });
  },

  "importKey: the length parameter must match the key data": async () => {
    const algorithm = (length) => ({ name: "HMAC", hash: "SHA-256", length });
    const key = await crypto.subtle.importKey("raw", new Uint8Array(16), algorithm(128), true, ["sign"]);
    assertEquals(key.algorithm.length, 128);
    assertEquals((await crypto.subtle.importKey("raw", new Uint8Array(16), algorithm(121), true, ["sign"])).algorithm.length, 121);
    await assertDOMRejects(() => crypto.subtle.importKey("raw", new Uint8Array(16), algorithm(129), true, ["sign"]), "DataError");
    await assertDOMRejects(() => crypto.subtle.importKey("raw", new Uint8Array(16), algorithm(120), true, ["sign"]), "DataError");
    await assertRejects(() => crypto.subtle.importKey("raw", new Uint8Array(16), algorithm(-1), true, ["sign"]), TypeError);
  },

  "exportKey: raw and JWK": async () => {
    const key = await hmacKey(utf8("Jefe"), "SHA-256");
    const raw = await crypto.subtle.exportKey("raw", key);
    assert(raw instanceof ArrayBuffer);
    assertEquals(new Uint8Array(raw), utf8("Jefe"));
    const jwk = await crypto.subtle.exportKey("jwk", key);
    assertEquals(jwk, { alg: "HS256", ext: true, k: "SmVmZQ", key_ops: ["sign", "verify"], kty: "oct" });
    assertEquals(Object.keys(jwk), ["alg", "ext", "k", "key_ops", "kty"]);
    const sha1 = await hmacKey(new Uint8Array([0xfb, 0xff]), "SHA-1", ["sign"]);
    assertEquals(await crypto.subtle.exportKey("jwk", sha1), { alg: "HS1", ext: true, k: "-_8", key_ops: ["sign"], kty: "oct" });
    const locked = await hmacKey(utf8("Jefe"), "SHA-256", ["sign"], false);
    await assertDOMRejects(() => crypto.subtle.exportKey("raw", locked), "InvalidAccessError");
    await assertDOMRejects(() => crypto.subtle.exportKey("pkcs8", key), "NotSupportedError");
    await assertRejects(() => crypto.subtle.exportKey("raw", {}), TypeError);
  },

  "importKey: JWK round trip and checks": async () => {
    const jwk = { kty: "oct", k: "SmVmZQ", alg: "HS256", key_ops: ["sign", "verify"], ext: true };
    const key = await crypto.subtle.importKey("jwk", jwk, { name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
    assertEquals(hex(await crypto.subtle.sign("HMAC", key, utf8("what do ya want for nothing?"))), kHmacVectors[4][3]);
    assertEquals(key.usages, ["sign"]);
    const hmac = { name: "HMAC", hash: "SHA-256" };
    await assertDOMRejects(() => crypto.subtle.importKey("jwk", { ...jwk, kty: "RSA" }, hmac, true, ["sign"]), "DataError");
    await assertDOMRejects(() => crypto.subtle.importKey("jwk", { ...jwk, alg: "HS512" }, hmac, true, ["sign"]), "DataError");
    await assertDOMRejects(() => crypto.subtle.importKey("jwk", { ...jwk, key_ops: ["verify"] }, hmac, true, ["sign"]), "DataError");
    await assertDOMRejects(() => crypto.subtle.importKey("jwk", { ...jwk, ext: false }, hmac, true, ["sign"]), "DataError");
    await assertDOMRejects(() => crypto.subtle.importKey("jwk", { ...jwk, use: "enc" }, hmac, true, ["sign"]), "DataError");
    await assertDOMRejects(() => crypto.subtle.importKey("jwk", { ...jwk, k: "not base64!" }, hmac, true, ["sign"]), "DataError");
    await assertDOMRejects(() => crypto.subtle.importKey("jwk", { kty: "oct" }, hmac, true, ["sign"]), "DataError");
    await assertRejects(() => crypto.subtle.importKey("jwk", utf8("{}"), hmac, true, ["sign"]), TypeError);
    const noAlg = await crypto.subtle.importKey("jwk", { kty: "oct", k: "SmVmZQ" }, hmac, false, ["verify"]);
    assertEquals(noAlg.extractable, false);
  },

  "generateKey: HMAC key lengths": async () => {
    const key = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, true, ["sign", "verify"]);
    assertEquals(key.algorithm, { name: "HMAC", hash: { name: "SHA-256" }, length: 512 });
    assertEquals((await crypto.subtle.exportKey("raw", key)).byteLength, 64);
    const big = await crypto.subtle.generateKey({ name: "HMAC", hash: { name: "SHA-512" } }, false, ["sign"]);
    assertEquals(big.algorithm.length, 1024);
    assertEquals(big.extractable, false);
    const custom = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-1", length: 256 }, true, ["verify"]);
    assertEquals((await crypto.subtle.exportKey("raw", custom)).byteLength, 32);
    const other = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
    assert(hex(await crypto.subtle.exportKey("raw", other)) !== hex(await crypto.subtle.exportKey("raw", key)), "keys are random");
    const signature = await crypto.subtle.sign("HMAC", key, utf8("msg"));
    assertEquals(await crypto.subtle.verify("HMAC", key, signature, utf8("msg")), true);
    await assertDOMRejects(() => crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256", length: 0 }, true, ["sign"]), "OperationError");
    await assertDOMRejects(() => crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, true, []), "SyntaxError");
    await assertDOMRejects(() => crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, true, ["decrypt"]), "SyntaxError");
  },

  "other algorithms and methods are NotSupportedError naming what mar supports": async () => {
    const key = await hmacKey(utf8("k"), "SHA-256");
    const cases = [
      () => crypto.subtle.encrypt({ name: "AES-GCM", iv: new Uint8Array(12) }, key, new Uint8Array(1)),
      () => crypto.subtle.decrypt("RSA-OAEP", key, new Uint8Array(1)),
      () => crypto.subtle.deriveBits({ name: "PBKDF2" }, key, 256),
      () => crypto.subtle.deriveKey({ name: "HKDF" }, key, { name: "HMAC", hash: "SHA-256" }, true, ["sign"]),
      () => crypto.subtle.wrapKey("raw", key, key, "AES-KW"),
      () => crypto.subtle.unwrapKey("raw", new Uint8Array(1), key, "AES-KW", "HMAC", true, ["sign"]),
      () => crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]),
      () => crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"]),
      () => crypto.subtle.importKey("raw", new Uint8Array(16), "AES-GCM", true, ["encrypt"]),
      () => crypto.subtle.sign("ECDSA", key, new Uint8Array(1)),
    ];
    for (const run of cases) {
      const error = await assertDOMRejects(run, "NotSupportedError");
      assert(error.message.includes("HMAC") && error.message.includes("SHA-256") && error.message.includes("mar"), error.message);
    }
    await assertRejects(() => crypto.subtle.encrypt(), TypeError);
  },

  "CryptoKey is not constructible and is WebIDL-shaped": async () => {
    assertThrows(() => new CryptoKey(), TypeError, "Illegal constructor");
    const key = await hmacKey(utf8("k"), "SHA-256");
    assert(key instanceof CryptoKey);
    assertEquals(Object.prototype.toString.call(key), "[object CryptoKey]");
    assertEquals([key.type, key.extractable], ["secret", true]);
    assertEquals(key.algorithm, key.algorithm);
    assert(key.algorithm === key.algorithm, "the same object each time");
    assert(key.usages === key.usages, "the same object each time");
    assertEquals(Object.keys(key), []);
    assertThrows(() => Object.getOwnPropertyDescriptor(CryptoKey.prototype, "type").get.call({}), TypeError);
  },

  "CryptoKeys survive structuredClone": async () => {
    const key = await hmacKey(kHmacVectors[0][0], "SHA-256", ["sign"]);
    const copy = structuredClone(key);
    assert(copy instanceof CryptoKey && copy !== key);
    assertEquals(copy.algorithm, key.algorithm);
    assertEquals(hex(await crypto.subtle.sign("HMAC", copy, utf8("Hi There"))), kHmacVectors[0][3]);
  },

  "getRandomValues fills integer arrays and returns them": () => {
    const bytes = new Uint8Array(64);
    const result = crypto.getRandomValues(bytes);
    assertEquals(result, bytes);
    assert(result === bytes);
    assert(bytes.some((b) => b !== 0), "64 random bytes are not all zero");
    for (const Kind of [Int8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array]) {
      const array = new Kind(8);
      assert(crypto.getRandomValues(array) === array, Kind.name);
    }
    assertEquals(crypto.getRandomValues(new Uint8Array(0)).length, 0);
    const view = new Uint8Array(new ArrayBuffer(16), 8, 4);
    crypto.getRandomValues(view);
    assertEquals(Array.from(new Uint8Array(view.buffer, 0, 8)), [0, 0, 0, 0, 0, 0, 0, 0], "only the view's bytes change");
  },

  "getRandomValues rejects non-integer views with TypeMismatchError": () => {
    for (const view of [new Float32Array(4), new Float64Array(4), new DataView(new ArrayBuffer(4))]) {
      const error = assertThrows(() => crypto.getRandomValues(view), DOMException);
      assertEquals(error.name, "TypeMismatchError");
      assertEquals(error.code, 17);
    }
    assertThrows(() => crypto.getRandomValues(new ArrayBuffer(4)), TypeError);
    assertThrows(() => crypto.getRandomValues(new Uint8Array(new SharedArrayBuffer(4))), TypeError);
    assertThrows(() => crypto.getRandomValues([1, 2]), TypeError);
    assertThrows(() => crypto.getRandomValues(), TypeError);
  },

  "getRandomValues has a 65536-byte quota": () => {
    assertEquals(crypto.getRandomValues(new Uint8Array(65536)).length, 65536);
    assertEquals(crypto.getRandomValues(new Uint32Array(16384)).length, 16384);
    for (const view of [new Uint8Array(65537), new Uint32Array(16385), new BigInt64Array(8193)]) {
      const error = assertThrows(() => crypto.getRandomValues(view), DOMException);
      assertEquals(error.name, "QuotaExceededError");
      assertEquals(error.code, 22);
    }
  },

  "randomUUID gives distinct version 4 UUIDs": () => {
    const seen = new Set();
    for (let i = 0; i < 100; i++) {
      const uuid = crypto.randomUUID();
      assert(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuid), uuid);
      seen.add(uuid);
    }
    assertEquals(seen.size, 100);
  },

  "crypto, Crypto and SubtleCrypto are WebIDL-shaped": () => {
    assert(crypto instanceof Crypto);
    assert(crypto.subtle instanceof SubtleCrypto);
    assert(crypto.subtle === crypto.subtle);
    assertThrows(() => new Crypto(), TypeError, "Illegal constructor");
    assertThrows(() => new SubtleCrypto(), TypeError, "Illegal constructor");
    assertThrows(() => Crypto.prototype.getRandomValues.call({}, new Uint8Array(1)), TypeError);
    assertThrows(() => Crypto.prototype.randomUUID.call({}), TypeError);
    assertEquals(Object.prototype.toString.call(crypto), "[object Crypto]");
    assertEquals(Object.prototype.toString.call(crypto.subtle), "[object SubtleCrypto]");
    assertEquals(Object.keys(crypto), []);
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, "crypto");
    assertEquals(descriptor.enumerable, false);
  },
};
