import { assert, assertEquals, assertThrows } from "./assert.js";

function assertInvalidCharacter(fn, what) {
  const error = assertThrows(fn, DOMException);
  assertEquals(error.name, "InvalidCharacterError", what);
  assertEquals(error.code, 5, what);
}

export const tests = {
  "RFC 4648 test vectors": () => {
    const vectors = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]];
    for (const [plain, encoded] of vectors) {
      assertEquals(btoa(plain), encoded, plain);
      assertEquals(atob(encoded), plain, encoded);
    }
  },

  "btoa takes Latin-1 code units and the full alphabet": () => {
    assertEquals(btoa("\x00\x01\x02\xfd\xfe\xff"), "AAEC/f7/");
    assertEquals(btoa("\xfb\xff\xbf"), "+/+/");
    assertEquals(btoa("\u00e9"), "6Q==");
    assertEquals(btoa(12), "MTI=");
    assertEquals(btoa(undefined), "dW5kZWZpbmVk");
    assertEquals(btoa(null), "bnVsbA==");
  },

  "btoa rejects code points above U+00FF": () => {
    assertInvalidCharacter(() => btoa("\u0100"), "U+0100");
    assertInvalidCharacter(() => btoa("ok\u20ac"), "euro sign");
    assertInvalidCharacter(() => btoa("\ud83d\ude00"), "astral");
  },

  "atob returns a binary string": () => {
    assertEquals(atob("AAEC/f7/"), "\x00\x01\x02\xfd\xfe\xff");
    assertEquals(atob("+/+/"), "\xfb\xff\xbf");
  },

  "atob ignores ASCII whitespace anywhere": () => {
    assertEquals(atob(" Zm9v\tYmFy\n"), "foobar");
    assertEquals(atob("Z g = ="), "f");
    assertEquals(atob("\f\rZm8=\r\n"), "fo");
    assertEquals(atob(" "), "");
  },

  "atob padding is optional but must be right when present": () => {
    assertEquals(atob("Zg"), "f");
    assertEquals(atob("Zm8"), "fo");
    assertEquals(atob("Zg=="), "f");
    assertInvalidCharacter(() => atob("Zg="), "one pad where two are needed");
    assertInvalidCharacter(() => atob("Zm8=="), "too much padding");
    assertInvalidCharacter(() => atob("Zg==="), "three pads");
    assertInvalidCharacter(() => atob("===="), "only padding");
    assertInvalidCharacter(() => atob("Zm=9v"), "padding in the middle");
    assertInvalidCharacter(() => atob("Zg==Zg=="), "padding then data");
  },

  "atob rejects a length of 1 mod 4 and characters outside the alphabet": () => {
    assertInvalidCharacter(() => atob("Z"), "single character");
    assertInvalidCharacter(() => atob("Zm9vY"), "5 characters");
    assertInvalidCharacter(() => atob("Zm9v!"), "punctuation");
    assertInvalidCharacter(() => atob("Zm9-"), "base64url character");
    assertInvalidCharacter(() => atob("Zm9_"), "base64url character");
    assertInvalidCharacter(() => atob("Zm9v\u00a0"), "non-ASCII whitespace");
    assertInvalidCharacter(() => atob("Zm9v\v"), "vertical tab is not ASCII whitespace");
    assertInvalidCharacter(() => atob("\u0100AAA"), "wide character");
  },

  "atob discards non-zero trailing bits": () => {
    assertEquals(atob("Zh=="), "f");
    assertEquals(atob("Zm9="), "fo");
  },

  "atob converts its argument with ToString": () => {
    assertInvalidCharacter(() => atob(undefined), "\"undefined\" has 9 characters");
    assertEquals(atob(null), "\x9e\xe9\x65");
    assertEquals(atob(1234), "\xd7\x6d\xf8");
    assertThrows(() => atob(), TypeError);
    assertThrows(() => btoa(), TypeError);
    assertThrows(() => atob(Symbol("s")), TypeError);
  },

  "round trip of every byte value": () => {
    let all = "";
    for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
    assertEquals(atob(btoa(all)), all);
    assertEquals(btoa(all).length, 344);
  },

  "large inputs round-trip": () => {
    const size = 3 * 1024 * 1024 + 1;
    const codes = new Uint8Array(size);
    for (let i = 0; i < size; i++) codes[i] = (i * 7 + (i >> 8)) & 0xff;
    let binary = "";
    for (let i = 0; i < size; i += 8192) binary += String.fromCharCode.apply(null, codes.subarray(i, i + 8192));
    const encoded = btoa(binary);
    assertEquals(encoded.length, Math.ceil(size / 3) * 4);
    assert(encoded.endsWith("=="), encoded.slice(-4));
    const decoded = atob(encoded);
    assertEquals(decoded.length, size);
    assertEquals(decoded === binary, true);
  },

  "globals are WebIDL-shaped": () => {
    for (const name of ["atob", "btoa"]) {
      const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
      assertEquals([descriptor.writable, descriptor.enumerable, descriptor.configurable], [true, false, true], name);
      assertEquals(globalThis[name].length, 1, name);
    }
  },
};
