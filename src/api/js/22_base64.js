// atob/btoa (HTML "forgiving-base64") and the base64/base64url codecs the other built-ins use.
// Output strings are never built one character at a time: ASCII goes through native.utf8Decode,
// other binary strings through String.fromCharCode over chunks.
// Exports: internal.base64Encode(bytes, url = false) -> string,
// internal.base64Decode(string, url = false) -> Uint8Array | null (null: not valid base64).

const { webidl, DOMException } = internal;

const kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const kUrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const kChunk = 0x2000;  // code units per String.fromCharCode call (well under argument limits)

function codesOf(alphabet) {
  const codes = new Uint8Array(64);
  for (let i = 0; i < 64; i++) codes[i] = alphabet.charCodeAt(i);
  return codes;
}
function valuesOf(alphabet) {
  const values = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) values[alphabet.charCodeAt(i)] = i;
  return values;
}
const kCodes = codesOf(kAlphabet);
const kUrlCodes = codesOf(kUrlAlphabet);
const kValues = valuesOf(kAlphabet);
const kUrlValues = valuesOf(kUrlAlphabet);

// A string of the code units in `codes` (a Uint8Array or Uint16Array).
function stringFromCodes(codes) {
  if (codes.length <= kChunk) return String.fromCharCode.apply(null, codes);
  const parts = [];
  for (let i = 0; i < codes.length; i += kChunk) parts.push(String.fromCharCode.apply(null, codes.subarray(i, i + kChunk)));
  return parts.join("");
}

// A string of bytes that are all ASCII (base64 output): decoded natively, which is much faster
// than String.fromCharCode.
function asciiString(bytes) {
  return bytes.length === 0 ? "" : native.utf8Decode(bytes, false);
}

// Base64 of `bytes` (a Uint8Array); base64url (no padding) when `url` is true.
function base64Encode(bytes, url = false) {
  const codes = url ? kUrlCodes : kCodes;
  const length = bytes.length;
  const remainder = length % 3;
  const whole = length - remainder;
  const out = new Uint8Array((whole / 3) * 4 + (remainder === 0 ? 0 : url ? remainder + 1 : 4));
  let o = 0;
  for (let i = 0; i < whole; i += 3) {
    const triple = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o] = codes[triple >> 18];
    out[o + 1] = codes[(triple >> 12) & 63];
    out[o + 2] = codes[(triple >> 6) & 63];
    out[o + 3] = codes[triple & 63];
    o += 4;
  }
  if (remainder === 1) {
    const value = bytes[whole];
    out[o] = codes[value >> 2];
    out[o + 1] = codes[(value & 3) << 4];
    if (!url) out[o + 2] = out[o + 3] = 61;  // '='
  } else if (remainder === 2) {
    const value = (bytes[whole] << 8) | bytes[whole + 1];
    out[o] = codes[value >> 10];
    out[o + 1] = codes[(value >> 4) & 63];
    out[o + 2] = codes[(value & 15) << 2];
    if (!url) out[o + 3] = 61;
  }
  return asciiString(out);
}

// Forgiving-base64 decode (HTML): ASCII whitespace ignored, padding optional but, if present,
// correct. With `url`, the base64url alphabet and no whitespace or padding. Returns null when the
// input is not valid.
function base64Decode(string, url = false) {
  if (!url && /[\t\n\f\r ]/.test(string)) string = string.replace(/[\t\n\f\r ]+/g, "");
  let length = string.length;
  if (!url && length % 4 === 0 && length > 0 && string.charCodeAt(length - 1) === 61) {
    length--;
    if (string.charCodeAt(length - 1) === 61) length--;
  }
  const remainder = length % 4;
  if (remainder === 1) return null;
  const values = url ? kUrlValues : kValues;
  const whole = length - remainder;
  const out = new Uint8Array((whole / 4) * 3 + (remainder === 0 ? 0 : remainder - 1));
  let o = 0;
  for (let i = 0; i < whole; i += 4) {
    const c0 = string.charCodeAt(i);
    const c1 = string.charCodeAt(i + 1);
    const c2 = string.charCodeAt(i + 2);
    const c3 = string.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 127) return null;
    const v0 = values[c0];
    const v1 = values[c1];
    const v2 = values[c2];
    const v3 = values[c3];
    if ((v0 | v1 | v2 | v3) < 0) return null;
    const triple = (v0 << 18) | (v1 << 12) | (v2 << 6) | v3;
    out[o] = triple >> 16;
    out[o + 1] = (triple >> 8) & 255;
    out[o + 2] = triple & 255;
    o += 3;
  }
  if (remainder !== 0) {
    let bits = 0;
    for (let i = whole; i < length; i++) {
      const code = string.charCodeAt(i);
      const value = code < 128 ? values[code] : -1;
      if (value < 0) return null;
      bits = (bits << 6) | value;
    }
    // Leftover bits that do not make a whole byte are discarded, as the spec says.
    if (remainder === 2) {
      out[o] = bits >> 4;
    } else {
      out[o] = bits >> 10;
      out[o + 1] = (bits >> 2) & 255;
    }
  }
  return out;
}

function atob(data) {
  webidl.requireArguments(arguments.length, 1, "Failed to execute 'atob'");
  const bytes = base64Decode(webidl.toDOMString(data, "Failed to execute 'atob'"));
  if (bytes === null) {
    throw new DOMException("Failed to execute 'atob': The string to be decoded is not correctly encoded.", "InvalidCharacterError");
  }
  let high = 0;
  for (let i = 0; i < bytes.length; i++) high |= bytes[i];
  return high < 0x80 ? asciiString(bytes) : stringFromCodes(bytes);
}

function btoa(data) {
  webidl.requireArguments(arguments.length, 1, "Failed to execute 'btoa'");
  const string = webidl.toDOMString(data, "Failed to execute 'btoa'");
  // ASCII text (the common case) has the same bytes in UTF-8, which the native gives fastest.
  if (!/[^\x00-\x7f]/.test(string)) return base64Encode(native.utf8Encode(string));
  const length = string.length;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const code = string.charCodeAt(i);
    if (code > 0xff) {
      throw new DOMException("Failed to execute 'btoa': The string to be encoded contains characters outside of the Latin1 range.", "InvalidCharacterError");
    }
    bytes[i] = code;
  }
  return base64Encode(bytes);
}

internal.base64Encode = base64Encode;
internal.base64Decode = base64Decode;
internal.defineGlobal("atob", atob);
internal.defineGlobal("btoa", btoa);
