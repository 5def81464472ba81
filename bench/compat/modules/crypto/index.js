// crypto: subtle.digest (SHA-1/256/384/512), HMAC import/export/sign/verify/generateKey (hex
// output), getRandomValues argument checks (the values themselves are random: only lengths and
// identity are answered), randomUUID's format.
import { attempt, attemptAsync } from "./lib.js";
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
const utf8 = (s) => new TextEncoder().encode(s);

async function digest() {
  const r = {};
  for (const algorithm of ["SHA-1", "SHA-256", "SHA-384", "SHA-512"]) {
    r[algorithm] = {
      empty: hex(await crypto.subtle.digest(algorithm, new Uint8Array(0))),
      abc: hex(await crypto.subtle.digest(algorithm, utf8("abc"))),
    };
  }
  const big = new Uint8Array(1 << 20).map((_, i) => i & 0xff);
  r.oneMiB = hex(await crypto.subtle.digest("SHA-256", big));
  r.arrayBuffer = hex(await crypto.subtle.digest("SHA-256", utf8("abc").buffer));
  r.dataView = hex(await crypto.subtle.digest("SHA-256", new DataView(utf8("xabc").buffer, 1)));
  r.objectAlgorithm = hex(await crypto.subtle.digest({ name: "sha-256" }, utf8("abc")));
  r.lowerCase = hex(await crypto.subtle.digest("sha-1", utf8("abc")));
  r.unknown = await attemptAsync(() => crypto.subtle.digest("SHA-3", utf8("abc")));
  r.stringData = await attemptAsync(() => crypto.subtle.digest("SHA-256", "abc"));
  r.returnsArrayBuffer = (await crypto.subtle.digest("SHA-256", utf8(""))) instanceof ArrayBuffer;
  return r;
}

async function hmac() {
  const r = {};
  const raw = utf8("key");
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, true, ["sign", "verify"]);
  r.key = [key.type, key.extractable, key.usages, key.algorithm.name, key.algorithm.hash.name, key.algorithm.length];
  const message = utf8("The quick brown fox jumps over the lazy dog");
  const signature = await crypto.subtle.sign("HMAC", key, message);
  r.sign = hex(signature);
  r.verify = await crypto.subtle.verify("HMAC", key, signature, message);
  r.verifyWrong = await crypto.subtle.verify("HMAC", key, signature, utf8("tampered"));
  r.verifyShort = await crypto.subtle.verify("HMAC", key, signature.slice(0, 16), message);
  r.exportRaw = hex(await crypto.subtle.exportKey("raw", key));
  const jwk = await crypto.subtle.exportKey("jwk", key);
  r.exportJwk = [jwk.kty, jwk.k, jwk.alg, jwk.ext, [...jwk.key_ops].sort()];
  for (const hash of ["SHA-1", "SHA-384", "SHA-512"]) {
    const k = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash }, false, ["sign"]);
    r[hash] = [hex(await crypto.subtle.sign({ name: "HMAC" }, k, message)), k.algorithm.length];
  }
  const jwkKey = await crypto.subtle.importKey("jwk", { kty: "oct", k: "a2V5", alg: "HS256" }, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  r.importJwkVerify = await crypto.subtle.verify("HMAC", jwkKey, signature, message);
  const shorter = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256", length: 20 }, false, ["sign"]);
  r.lengthBits = shorter.algorithm.length;
  r.lengthTooShort = await attemptAsync(() =>
    crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256", length: 16 }, false, ["sign"]),
  );
  r.lengthTooLong = await attemptAsync(() =>
    crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256", length: 32 }, false, ["sign"]),
  );
  r.notExtractable = await attemptAsync(async () => {
    const k = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return hex(await crypto.subtle.exportKey("raw", k));
  });
  r.wrongUsage = await attemptAsync(async () => {
    const k = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    return hex(await crypto.subtle.sign("HMAC", k, message));
  });
  r.badUsage = await attemptAsync(() =>
    crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["encrypt"]),
  );
  r.emptyKey = await attemptAsync(() => crypto.subtle.importKey("raw", new Uint8Array(0), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]));
  r.noHash = await attemptAsync(() => crypto.subtle.importKey("raw", raw, { name: "HMAC" }, false, ["sign"]));
  const generated = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, true, ["sign", "verify"]);
  r.generated = [generated.type, generated.algorithm.length, (await crypto.subtle.exportKey("raw", generated)).byteLength, generated.usages];
  const generated512 = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-512" }, true, ["sign"]);
  r.generated512 = [generated512.algorithm.length, (await crypto.subtle.exportKey("raw", generated512)).byteLength];
  r.isCryptoKey = typeof CryptoKey === "function" && key instanceof CryptoKey;
  return r;
}

function random() {
  const r = {};
  const a = new Uint8Array(16);
  r.returnsSame = crypto.getRandomValues(a) === a;
  r.types = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array", "Float32Array", "Float64Array"].map(
    (name) => [name, attempt(() => crypto.getRandomValues(new globalThis[name](4)).length)],
  );
  r.dataView = attempt(() => crypto.getRandomValues(new DataView(new ArrayBuffer(4))));
  r.arrayBuffer = attempt(() => crypto.getRandomValues(new ArrayBuffer(4)));
  r.plainArray = attempt(() => crypto.getRandomValues([1, 2, 3]));
  r.max = attempt(() => crypto.getRandomValues(new Uint8Array(65536)).length);
  r.overMax = attempt(() => crypto.getRandomValues(new Uint8Array(65537)).length);
  r.overMaxWide = attempt(() => crypto.getRandomValues(new Uint32Array(16385)).length);
  r.maxWide = attempt(() => crypto.getRandomValues(new Uint32Array(16384)).length);
  r.empty = attempt(() => crypto.getRandomValues(new Uint8Array(0)).length);
  r.noArg = attempt(() => crypto.getRandomValues());
  const uuid = crypto.randomUUID();
  r.uuidFormat = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuid);
  r.uuidDistinct = crypto.randomUUID() !== uuid;
  r.subtleIsSubtleCrypto = typeof SubtleCrypto === "function" && crypto.subtle instanceof SubtleCrypto;
  return r;
}

export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/digest") return Response.json(await digest());
    if (path === "/hmac") return Response.json(await hmac());
    if (path === "/random") return Response.json(random());
    if (path === "/digest-body") {
      const body = await request.arrayBuffer();
      return new Response(hex(await crypto.subtle.digest("SHA-256", body)) + "\n");
    }
    return new Response("not found\n", { status: 404 });
  },
};
