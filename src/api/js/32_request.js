// Request (Fetch Standard §5.4) as a server runtime like Workers or Deno has it: no CORS, no
// referrer, no service-worker modes. What RequestInit can carry, and what mar does with it:
//   method, headers, body, redirect ("follow" | "error" | "manual"), signal   as the spec says
//   cf               Workers' per-request options: kept as given and exposed as request.cf
//   cache            undefined, "default", "no-store" or "no-cache" (mar keeps no HTTP cache, so
//                    these cannot behave differently); "reload", "force-cache" and
//                    "only-if-cached" throw a TypeError, as on Workers, since mar cannot honour them
//   integrity        undefined or "" only; subresource integrity is not implemented and a hash
//                    throws rather than going unchecked (Workers does the same)
//   mode, credentials, referrer, referrerPolicy, keepalive, window, priority, duplex
//                    ignored, as WinterTC recommends and Workers does: they only mean something to
//                    a browser's CORS and networking machinery, which a server runtime has not got
//
// The signal passed in init is kept as the request's signal itself (as Workers does) instead of a
// new signal that follows it: nothing is registered on a long-lived parent signal, and aborting
// the signal given to fetch() still aborts the fetch. Without one, request.signal is a signal that
// never aborts, created when first read.
//
// Requests the runtime receives over HTTP are built by internal.newIncomingRequest, which keeps
// the URL string and the parser's header list as they are and builds the Headers only when read;
// their headers are immutable, as for Workers' (and service workers') incoming requests; use
// `new Request(request, init)` to get a copy with mutable headers.
//
// Exports on `internal`:
//   Request                  the class
//   newIncomingRequest(method, url, headerPairs, body, signal?) -> Request
//       method: an upper-case token; url: an absolute, serialized URL string; headerPairs: a flat
//       [name, value, ...] array of valid ByteStrings whose ownership passes to the Request (names
//       are lower-cased in place when first read); body: Uint8Array owned by the Request, a
//       ReadableStream, or null;
//       signal: an AbortSignal the runtime aborts when the client goes away (optional)
//   isRequest(value) -> boolean
//   requestParts(request) -> { method, url, headers, body, redirect, signal, cf }
//       for fetch(): headers is a fresh flat [name, value, ...] array (lower-case names), body
//       null | string | Uint8Array | ReadableStream, signal the AbortSignal or null when none was given; marks the
//       body used and throws a TypeError when it already was

const kIncoming = Symbol("incoming");
const kNormalizedMethods = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const kRedirectModes = new Set(["follow", "error", "manual"]);
const kCacheModes = new Set(["default", "no-store", "reload", "no-cache", "force-cache", "only-if-cached"]);
const kAcceptedCacheModes = new Set(["default", "no-store", "no-cache"]);

function quote(string) {
  return JSON.stringify(string);
}

// The "normalize" and validity steps for a method (Fetch §2.2.1 and the Request constructor).
function normalizeMethod(value) {
  const method = typeof value === "string" ? value : `${value}`;
  switch (method) {
    case "GET": case "POST": case "PUT": case "DELETE": case "HEAD": case "OPTIONS": case "PATCH":
      return method;
  }
  if (!internal.isValidHeaderName(method)) throw new TypeError(`Invalid method: ${quote(method)} is not an HTTP token`);
  const upper = method.toUpperCase();
  if (upper === "CONNECT" || upper === "TRACE" || upper === "TRACK") {
    throw new TypeError(`Method ${quote(method)} is forbidden`);
  }
  return kNormalizedMethods.has(upper) ? upper : method;
}

function parseRequestUrl(input) {
  const URLClass = global.URL;
  let url;
  try {
    url = new URLClass(input);
  } catch (cause) {
    throw new TypeError(`Invalid URL: ${quote(input)}; a Request needs an absolute URL such as "https://example.com/"`, { cause });
  }
  if (url.username !== "" || url.password !== "") {
    throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${quote(input)}; send them in an Authorization header instead`);
  }
  return url.href;
}

// 12_abort.js provides internal.isAbortSignal and internal.newAbortSignal; the fall-backs keep
// this file usable on its own (tests/js/dev_fetch).
function isAbortSignal(value) {
  if (internal.isAbortSignal !== undefined) return internal.isAbortSignal(value);
  return value instanceof (internal.AbortSignal ?? global.AbortSignal);
}

function neverAbortingSignal() {
  if (internal.newAbortSignal !== undefined) return internal.newAbortSignal();
  return new (internal.AbortController ?? global.AbortController)().signal;
}

class Request {
  #method = "GET";
  #url = "";
  // The Headers object, or null while #headerPairs holds an incoming request's list.
  #headers = null;
  #headerPairs = null;
  #body = null;
  #used = false;
  #redirect = "follow";
  #signal = null;
  #cf = undefined;
  #cache = undefined;

  constructor(input, init = undefined) {
    if (input === kIncoming) return;
    if (arguments.length < 1) throw new TypeError("Request constructor: 1 argument required, but only 0 present");
    if (init !== undefined && init !== null && typeof init !== "object" && typeof init !== "function") {
      throw new TypeError(`Request constructor: init must be an object, got ${typeof init}`);
    }

    const inputRequest = Request.#isRequest(input) ? input : null;
    if (inputRequest === null) {
      this.#url = parseRequestUrl(internal.toUSVString(typeof input === "string" ? input : `${input}`));
    } else {
      this.#url = inputRequest.#url;
      this.#method = inputRequest.#method;
      this.#redirect = inputRequest.#redirect;
      this.#signal = inputRequest.#signal;
      this.#cf = inputRequest.#cf;
      this.#cache = inputRequest.#cache;
    }

    let initBody;
    let initHeaders;
    if (init !== undefined && init !== null) {
      // Dictionary members are read once each, in WebIDL's (alphabetical) order.
      initBody = init.body;
      const cache = init.cache;
      const cf = init.cf;
      initHeaders = init.headers;
      const integrity = init.integrity;
      const method = init.method;
      const redirect = init.redirect;
      const signal = init.signal;

      if (cache !== undefined) {
        const mode = `${cache}`;
        if (!kCacheModes.has(mode)) throw new TypeError(`Request constructor: cache must be one of "default", "no-store", "reload", "no-cache", "force-cache" or "only-if-cached", got ${quote(mode)}`);
        if (!kAcceptedCacheModes.has(mode)) throw new TypeError(`Request constructor: cache mode ${quote(mode)} is not supported by mar; use "no-store" or "no-cache" or leave cache out`);
        this.#cache = mode === "default" ? undefined : mode;
      }
      if (cf !== undefined) {
        if (cf !== null && typeof cf !== "object") throw new TypeError(`Request constructor: cf must be an object, got ${typeof cf}`);
        this.#cf = cf ?? undefined;
      }
      if (integrity !== undefined && `${integrity}` !== "") {
        throw new TypeError("Request constructor: integrity (subresource integrity checking) is not supported by mar; leave it out or pass \"\"");
      }
      if (method !== undefined) this.#method = normalizeMethod(method);
      if (redirect !== undefined) {
        const mode = `${redirect}`;
        if (!kRedirectModes.has(mode)) throw new TypeError(`Request constructor: redirect must be "follow", "error" or "manual", got ${quote(mode)}`);
        this.#redirect = mode;
      }
      if (signal !== undefined) {
        if (signal !== null && !isAbortSignal(signal)) {
          throw new TypeError("Request constructor: signal must be an AbortSignal or null");
        }
        this.#signal = signal;
      }
    }

    if (initHeaders !== undefined) {
      this.#headers = internal.headersFromInit(initHeaders, false);
    } else if (inputRequest !== null) {
      this.#headers = inputRequest.#headerPairs !== null
        ? internal.headersFromPairs(inputRequest.#headerPairs.slice(), false)
        : internal.headersFromInit(inputRequest.#headers, false);
    } else {
      this.#headers = new internal.Headers();
    }

    const inputBody = inputRequest === null ? null : inputRequest.#body;
    const hasInitBody = initBody !== undefined && initBody !== null;
    if ((hasInitBody || inputBody !== null) && (this.#method === "GET" || this.#method === "HEAD")) {
      throw new TypeError(`Request with ${this.#method} method cannot have a body`);
    }
    if (hasInitBody) {
      const extracted = internal.extractBody(initBody);
      this.#body = extracted.source;
      if (extracted.type !== null && !internal.headersContains(this.#headers, "content-type")) {
        internal.headersAppendTrusted(this.#headers, "content-type", extracted.type);
      }
    } else if (inputBody !== null) {
      if (internal.isBodyUnusable(inputBody, inputRequest.#used)) {
        throw new TypeError("Request constructor: the input Request's body has already been used");
      }
      // The body moves to the new Request; the input counts as read, as in the spec.
      this.#body = inputBody;
      inputRequest.#used = true;
    }
  }

  static #isRequest(value) {
    return typeof value === "object" && value !== null && #method in value;
  }

  static #check(value) {
    if (!Request.#isRequest(value)) throw new TypeError("Illegal invocation: the receiver is not a Request");
  }

  get method() {
    return this.#method;
  }

  get url() {
    return this.#url;
  }

  get headers() {
    return this.#headers ?? Request.#materializeHeaders(this);
  }

  // Builds an incoming request's Headers from the parser's list on first use.
  static #materializeHeaders(request) {
    const headers = internal.headersFromPairs(request.#headerPairs, true);
    request.#headerPairs = null;
    request.#headers = headers;
    return headers;
  }

  get redirect() {
    return this.#redirect;
  }

  get signal() {
    return this.#signal ??= neverAbortingSignal();
  }

  // Workers' request.cf: what init.cf held, or for incoming requests what the runtime attached.
  get cf() {
    return this.#cf;
  }

  get cache() {
    Request.#check(this);
    return this.#cache ?? "default";
  }

  get integrity() {
    Request.#check(this);
    return "";
  }

  get keepalive() {
    Request.#check(this);
    return false;
  }

  clone() {
    if (internal.isBodyUnusable(this.#body, this.#used)) {
      throw new TypeError("Request.clone: the body has already been used");
    }
    const copy = new Request(kIncoming);
    copy.#method = this.#method;
    copy.#url = this.#url;
    if (this.#headers === null) copy.#headerPairs = this.#headerPairs.slice();
    else copy.#headers = internal.headersClone(this.#headers);
    [this.#body, copy.#body] = internal.cloneBodySource(this.#body);
    copy.#redirect = this.#redirect;
    copy.#signal = this.#signal;
    copy.#cf = this.#cf;
    copy.#cache = this.#cache;
    return copy;
  }

  static {
    internal.installBody(Request, {
      source(request) {
        Request.#check(request);
        return request.#body;
      },
      setSource(request, source) {
        request.#body = source;
      },
      used: (request) => request.#used,
      markUsed(request) {
        request.#used = true;
      },
      headers: (request) => request.#headers ?? Request.#materializeHeaders(request),
    });

    internal.newIncomingRequest = (method, url, headerPairs, body, signal = null) => {
      const request = new Request(kIncoming);
      request.#method = method;
      request.#url = url;
      request.#headerPairs = headerPairs;
      request.#body = body;
      request.#signal = signal;
      return request;
    };

    internal.isRequest = (value) => Request.#isRequest(value);

    internal.requestParts = (request) => {
      Request.#check(request);
      if (internal.isBodyUnusable(request.#body, request.#used)) throw internal.bodyUsedError();
      const body = request.#body;
      if (body !== null) request.#used = true;
      return {
        method: request.#method,
        url: request.#url,
        headers: internal.headersList(request.#headers ?? Request.#materializeHeaders(request)).slice(),
        body,
        redirect: request.#redirect,
        signal: request.#signal,
        cf: request.#cf,
      };
    };
  }
}

internal.brand(Request);
internal.registerPlatformInterface("Request", internal.isRequest);
// What console.log shows of a Request (its state is private).
internal.setInspectFields?.(Request, (request) => ({
  method: request.method,
  url: request.url,
  headers: request.headers,
  redirect: request.redirect,
  bodyUsed: request.bodyUsed,
}));
internal.Request = Request;
internal.normalizeMethod = normalizeMethod;
internal.defineGlobal("Request", Request);
