// atob/btoa (HTML "forgiving-base64") and the base64/base64url codecs the other built-ins use.
// Strings are built with String.fromCharCode over chunks, never one character at a time, so
// large inputs stay linear and fast.
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

// Base64 of `bytes` (a Uint8Array); base64url (no padding) when `url` is true.
function base64Encode(bytes, url = false) {
  const codes = url ? kUrlCodes : kCodes;
  const length = bytes.length;
  const whole = length - (length % 3);
  const remainder = length - whole;
  const outputLength = (whole / 3) * 4 + (remainder === 0 ? 0 : url ? remainder + 1 : 4);
  const out = new Uint8Array(outputLength);
  let o = 0;
  for (let i = 0; i < whole; i += 3) {
    const triple = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o++] = codes[triple >> 18];
    out[o++] = codes[(triple >> 12) & 63];
    out[o++] = codes[(triple >> 6) & 63];
    out[o++] = codes[triple & 63];
  }
  if (remainder === 1) {
    const value = bytes[whole];
    out[o++] = codes[value >> 2];
    out[o++] = codes[(value & 3) << 4];
    if (!url) {
      out[o++] = 61;  // '='
      out[o++] = 61;
    }
  } else if (remainder === 2) {
    const value = (bytes[whole] << 8) | bytes[whole + 1];
    out[o++] = codes[value >> 10];
    out[o++] = codes[(value >> 4) & 63];
    out[o++] = codes[(value & 15) << 2];
    if (!url) out[o++] = 61;
  }
  return stringFromCodes(out);
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
  if (length % 4 === 1) return null;
  const values = url ? kUrlValues : kValues;
  const out = new Uint8Array(Math.floor((length * 3) / 4));
  let o = 0;
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < length; i++) {
    const code = string.charCodeAt(i);
    const value = code < 128 ? values[code] : -1;
    if (value < 0) return null;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
      buffer &= (1 << bits) - 1;
    }
  }
  return out;  // leftover bits (fewer than 8) are discarded, as the spec says
}

function atob(data) {
  webidl.requireArguments(arguments.length, 1, "Failed to execute 'atob'");
  const bytes = base64Decode(webidl.toDOMString(data, "Failed to execute 'atob'"));
  if (bytes === null) {
    throw new DOMException("Failed to execute 'atob': The string to be decoded is not correctly encoded.", "InvalidCharacterError");
  }
  return stringFromCodes(bytes);
}

function btoa(data) {
  webidl.requireArguments(arguments.length, 1, "Failed to execute 'btoa'");
  const string = webidl.toDOMString(data, "Failed to execute 'btoa'");
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
