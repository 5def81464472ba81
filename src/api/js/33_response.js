// Response (Fetch Standard §5.5). The common cases — `new Response("text")`, `Response.json(x)` —
// build no Headers object: while only a Content-Type is known it is kept as a string and the
// Headers are made when user code first reads response.headers (or never, when the runtime sends
// the response straight away).
//
// Workers' extra ResponseInit keys: `webSocket` is not supported and throws when not null;
// `cf` and `encodeBody` are ignored (mar sends the body bytes as they are).
//
// Exports on `internal`:
//   Response                   the class
//   isResponse(value) -> boolean
//   responseParts(response) -> { status, statusText, headers, body }
//       for the HTTP server: headers a fresh flat [name, value, ...] array in insertion order with
//       lower-case names, each set-cookie its own pair, values Latin-1 strings (ByteStrings: write
//       each code unit as one byte); body null | string (send UTF-8) | Uint8Array | ReadableStream. statusText is
//       "" unless user code gave one (send the standard reason phrase then). Marks the body
//       used; throws a TypeError for a non-Response, a Response.error() (a network error, which
//       has no HTTP form) or a body already read.
//   newResponse(status, statusText, headerPairs, body, url = "", redirected = false) -> Response
//       for fetch(): a Response with immutable headers taken from a flat, already valid header
//       list (ownership passes), body null | Uint8Array (owned) | string | ReadableStream; no status checks

const kCreate = Symbol("create");
const kNullBodyStatuses = new Set([101, 103, 204, 205, 304]);
const kRedirectStatuses = new Set([301, 302, 303, 307, 308]);
const kReasonPhraseRe = /^[\t\x20-\x7e\x80-\xff]*$/;

function quote(string) {
  return JSON.stringify(string);
}

// WebIDL `unsigned short` conversion (no [EnforceRange]): ToNumber, truncate, wrap modulo 2^16.
function toUnsignedShort(value) {
  if (typeof value === "number" && value >= 0 && value <= 0xffff && Math.floor(value) === value) return value;
  const number = +value;
  if (!Number.isFinite(number)) return 0;
  const wrapped = Math.trunc(number) % 0x10000;
  return wrapped < 0 ? wrapped + 0x10000 : wrapped + 0;
}

function describe(value) {
  if (value === null) return "null";
  if (typeof value === "object" || typeof value === "function") return Object.prototype.toString.call(value).slice(8, -1);
  return typeof value;
}

class Response {
  #status = 200;
  #statusText = "";
  // The Headers object, or null while the only header is #contentType (or there is none).
  #headers = null;
  #contentType = null;
  #body = null;
  #used = false;
  #type = "default";
  #url = "";
  #redirected = false;

  constructor(body = null, init = undefined) {
    if (body === kCreate) return;
    let source = null;
    let contentType = null;
    if (typeof body === "string") {
      source = internal.toUSVString(body);
      contentType = internal.kTextPlainUtf8;
    } else if (body !== null && body !== undefined) {
      const extracted = internal.extractBody(body);
      source = extracted.source;
      contentType = extracted.type;
    }
    if (init === undefined || init === null) {
      this.#body = source;
      this.#contentType = contentType;
    } else {
      this.#initialize(init, source, contentType, "Response constructor");
    }
  }

  // Fetch "initialize a response" for a non-empty ResponseInit.
  #initialize(init, source, contentType, caller) {
    if (typeof init !== "object" && typeof init !== "function") {
      throw new TypeError(`${caller}: init must be an object, got ${typeof init}`);
    }
    // Dictionary members are read once each, in WebIDL's (alphabetical) order.
    const headersInit = init.headers;
    const statusInit = init.status;
    const statusTextInit = init.statusText;
    const webSocket = init.webSocket;

    const status = statusInit === undefined ? 200 : toUnsignedShort(statusInit);
    if (status < 200 || status > 599) {
      throw new RangeError(`${caller}: status must be in the range 200 to 599, got ${status}`);
    }
    let statusText = "";
    if (statusTextInit !== undefined) {
      statusText = internal.toByteString(statusTextInit, `${caller}: statusText`);
      if (!kReasonPhraseRe.test(statusText)) {
        throw new TypeError(`${caller}: invalid statusText ${quote(statusText)} (an HTTP reason phrase has no control characters but tab)`);
      }
    }
    if (webSocket !== undefined && webSocket !== null) {
      throw new TypeError(`${caller}: webSocket responses are not supported by mar yet`);
    }
    this.#status = status;
    this.#statusText = statusText;
    if (headersInit !== undefined) this.#headers = internal.headersFromInit(headersInit, false);

    if (source !== null) {
      if (kNullBodyStatuses.has(status)) {
        throw new TypeError(`${caller}: a Response with status ${status} cannot have a body`);
      }
      this.#body = source;
      if (contentType !== null) {
        if (this.#headers === null) this.#contentType = contentType;
        else if (!internal.headersContains(this.#headers, "content-type")) {
          internal.headersAppendTrusted(this.#headers, "content-type", contentType);
        }
      }
    }
  }

  static json(data, init = undefined) {
    if (arguments.length < 1) throw new TypeError("Response.json: 1 argument required, but only 0 present");
    const text = JSON.stringify(data);
    if (text === undefined) {
      throw new TypeError(`Response.json: ${describe(data)} cannot be serialized to JSON`);
    }
    const response = new Response(kCreate);
    // JSON.stringify escapes lone surrogates, so the text is already a USVString.
    if (init === undefined || init === null) {
      response.#body = text;
      response.#contentType = "application/json";
    } else {
      response.#initialize(init, text, "application/json", "Response.json");
    }
    return response;
  }

  static redirect(url, status = 302) {
    if (arguments.length < 1) throw new TypeError("Response.redirect: 1 argument required, but only 0 present");
    const input = internal.toUSVString(typeof url === "string" ? url : `${url}`);
    let parsed;
    try {
      parsed = new global.URL(input);
    } catch (cause) {
      throw new TypeError(`Response.redirect: invalid URL ${quote(input)}; it must be absolute`, { cause });
    }
    const code = toUnsignedShort(status);
    if (!kRedirectStatuses.has(code)) {
      throw new RangeError(`Response.redirect: status must be 301, 302, 303, 307 or 308, got ${code}`);
    }
    const response = new Response(kCreate);
    response.#status = code;
    response.#headers = internal.headersFromPairs(["location", parsed.href], true);
    return response;
  }

  static error() {
    const response = new Response(kCreate);
    response.#status = 0;
    response.#type = "error";
    response.#headers = internal.headersFromPairs([], true);
    return response;
  }

  static #isResponse(value) {
    return typeof value === "object" && value !== null && #status in value;
  }

  static #check(value) {
    if (!Response.#isResponse(value)) throw new TypeError("Illegal invocation: the receiver is not a Response");
  }

  get type() {
    return this.#type;
  }

  get url() {
    return this.#url;
  }

  get redirected() {
    return this.#redirected;
  }

  get status() {
    return this.#status;
  }

  get ok() {
    return this.#status >= 200 && this.#status <= 299;
  }

  get statusText() {
    return this.#statusText;
  }

  get headers() {
    return this.#headers ?? Response.#materializeHeaders(this);
  }

  static #materializeHeaders(response) {
    const contentType = response.#contentType;
    const headers = internal.headersFromPairs(contentType === null ? [] : ["content-type", contentType], false);
    response.#headers = headers;
    response.#contentType = null;
    return headers;
  }

  clone() {
    if (internal.isBodyUnusable(this.#body, this.#used)) {
      throw new TypeError("Response.clone: the body has already been used");
    }
    const copy = new Response(kCreate);
    copy.#status = this.#status;
    copy.#statusText = this.#statusText;
    copy.#headers = this.#headers === null ? null : internal.headersClone(this.#headers);
    copy.#contentType = this.#contentType;
    [this.#body, copy.#body] = internal.cloneBodySource(this.#body);
    copy.#type = this.#type;
    copy.#url = this.#url;
    copy.#redirected = this.#redirected;
    return copy;
  }

  static {
    internal.installBody(Response, {
      source(response) {
        Response.#check(response);
        return response.#body;
      },
      setSource(response, source) {
        response.#body = source;
      },
      used: (response) => response.#used,
      markUsed(response) {
        response.#used = true;
      },
      headers: (response) => response.#headers ?? Response.#materializeHeaders(response),
    });

    internal.isResponse = (value) => Response.#isResponse(value);

    internal.responseParts = (response) => {
      if (!Response.#isResponse(response)) {
        throw new TypeError(`Expected a Response, got ${describe(response)}`);
      }
      if (response.#type === "error") {
        // As Deno does: a network error has no HTTP form (status 0 is not a status line).
        throw new TypeError("Response.error() is a network error and cannot be sent as an HTTP response");
      }
      if (internal.isBodyUnusable(response.#body, response.#used)) throw internal.bodyUsedError();
      const body = response.#body;
      if (body !== null) response.#used = true;
      const headers = response.#headers;
      return {
        status: response.#status,
        statusText: response.#statusText,
        headers: headers !== null ? internal.headersList(headers).slice()
          : response.#contentType !== null ? ["content-type", response.#contentType] : [],
        body,
      };
    };

    internal.newResponse = (status, statusText, headerPairs, body, url = "", redirected = false) => {
      const response = new Response(kCreate);
      response.#status = status;
      response.#statusText = statusText;
      response.#headers = internal.headersFromPairs(headerPairs, true);
      response.#body = body;
      response.#url = url;
      response.#redirected = redirected;
      return response;
    };
  }
}

internal.brand(Response);
internal.registerPlatformInterface("Response", internal.isResponse);
// What console.log shows of a Response (its state is private).
internal.setInspectFields?.(Response, (response) => ({
  status: response.status,
  statusText: response.statusText,
  ok: response.ok,
  type: response.type,
  url: response.url,
  redirected: response.redirected,
  headers: response.headers,
  bodyUsed: response.bodyUsed,
}));
internal.Response = Response;
internal.defineGlobal("Response", Response);
