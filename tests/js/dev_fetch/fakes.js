// Dev-only stand-ins for what the C++ engine and the other built-in files provide, so that
// 30-34 can run in a bare V8 context (Node's vm, or the V8 10.2 shell). Evaluated like a built-in:
// the body of function (native, internal, global) { "use strict"; ... }, after 00_prelude.js.
// Only what is missing is defined, so the real files win when they are loaded too.

// native.utf8Encode(string) -> Uint8Array; lone surrogates become U+FFFD.
native.utf8Encode ??= (string) => {
  const out = new Uint8Array(string.length * 3);
  let n = 0;
  for (let i = 0; i < string.length; i++) {
    let c = string.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < string.length) {
      const d = string.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out[n++] = c;
    else if (c < 0x800) { out[n++] = 0xc0 | (c >> 6); out[n++] = 0x80 | (c & 63); }
    else if (c < 0x10000) { out[n++] = 0xe0 | (c >> 12); out[n++] = 0x80 | ((c >> 6) & 63); out[n++] = 0x80 | (c & 63); }
    else { out[n++] = 0xf0 | (c >> 18); out[n++] = 0x80 | ((c >> 12) & 63); out[n++] = 0x80 | ((c >> 6) & 63); out[n++] = 0x80 | (c & 63); }
  }
  return out.slice(0, n);
};

// native.utf8Decode(bytes, fatal) -> string: WHATWG UTF-8 decode without BOM handling; each
// maximal invalid subpart becomes U+FFFD, or a TypeError when fatal.
native.utf8Decode ??= (bytes, fatal) => {
  let out = "";
  let codes = [];
  const flush = () => { out += String.fromCodePoint(...codes); codes = []; };
  const bad = () => {
    if (fatal) throw new TypeError("The encoded data was not valid UTF-8");
    codes.push(0xfffd);
  };
  for (let i = 0; i < bytes.length;) {
    if (codes.length > 4096) flush();
    const b = bytes[i];
    if (b < 0x80) { codes.push(b); i++; continue; }
    let need, cp, lower = 0x80, upper = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0xf; if (b === 0xe0) lower = 0xa0; if (b === 0xed) upper = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 7; if (b === 0xf0) lower = 0x90; if (b === 0xf4) upper = 0x8f; }
    else { bad(); i++; continue; }
    let j = 1;
    for (; j <= need; j++) {
      if (i + j >= bytes.length) break;
      const c = bytes[i + j];
      if (c < lower || c > upper) break;
      lower = 0x80; upper = 0xbf;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (j <= need) { bad(); i += j; continue; }
    codes.push(cp);
    i += need + 1;
  }
  flush();
  return out;
};

// A minimal AbortSignal/AbortController (the real ones come from an earlier built-in file).
if (global.AbortController === undefined) {
  const kCreate = Symbol("create");
  class AbortSignal {
    #aborted = false;
    #reason = undefined;
    #listeners = [];
    constructor(token) {
      if (token !== kCreate) throw new TypeError("Illegal constructor");
    }
    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }
    throwIfAborted() { if (this.#aborted) throw this.#reason; }
    addEventListener(type, listener) { if (type === "abort") this.#listeners.push(listener); }
    removeEventListener(type, listener) { this.#listeners = this.#listeners.filter((l) => l !== listener); }
    static abort(reason = new Error("This operation was aborted")) {
      const signal = new AbortSignal(kCreate);
      signal.#aborted = true;
      signal.#reason = reason;
      return signal;
    }
    static {
      internal.abortSignalAbort = (signal, reason) => {
        if (signal.#aborted) return;
        signal.#aborted = true;
        signal.#reason = reason;
        for (const listener of signal.#listeners) listener.call(signal, { type: "abort", target: signal });
      };
      internal.newAbortSignal = () => new AbortSignal(kCreate);
    }
  }
  class AbortController {
    #signal = internal.newAbortSignal();
    get signal() { return this.#signal; }
    abort(reason = new Error("This operation was aborted")) { internal.abortSignalAbort(this.#signal, reason); }
  }
  internal.brand(AbortSignal);
  internal.brand(AbortController);
  internal.AbortSignal = AbortSignal;
  internal.defineGlobal("AbortSignal", AbortSignal);
  internal.defineGlobal("AbortController", AbortController);
}

// TextEncoder/TextDecoder (UTF-8 only).
if (global.TextEncoder === undefined) {
  class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(input = "") { return native.utf8Encode(`${input}`); }
  }
  class TextDecoder {
    #fatal;
    #ignoreBOM;
    constructor(label = "utf-8", options = {}) {
      if (!/^\s*(utf-?8|unicode-1-1-utf-8)\s*$/i.test(label)) throw new RangeError(`fakes.js TextDecoder supports only UTF-8, not ${label}`);
      this.#fatal = !!options.fatal;
      this.#ignoreBOM = !!options.ignoreBOM;
    }
    get encoding() { return "utf-8"; }
    decode(input = new Uint8Array(0)) {
      const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      const text = native.utf8Decode(bytes, this.#fatal);
      return !this.#ignoreBOM && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    }
  }
  internal.defineGlobal("TextEncoder", TextEncoder);
  internal.defineGlobal("TextDecoder", TextDecoder);
}

// URL and URLSearchParams: what the runner injected as global.__hostUrl (Node's, in vm mode); the
// --v8 shell has none.
if (!Object.getOwnPropertyDescriptor(global, "URL")) {
  const host = global.__hostUrl;
  delete global.__hostUrl;
  const missing = () => {
    throw new Error("URL is not available in the --v8 dev shell: mar's URL is native (Ada, api/natives_url.cc)");
  };
  internal.defineGlobalGetter("URL", () => (host ? host.URL : missing()));
  internal.defineGlobalGetter("URLSearchParams", () => (host ? host.URLSearchParams : missing()));
}
