// URL and URLSearchParams (WHATWG URL Standard). Parsing, and every change to a URL, go through
// Ada, the C++ parser Node uses, which Debian's libnode exports (api/natives_url.cc): a URL is
// its href and Ada's component offsets, and the getters slice the href, as Node does. (The
// JavaScript reference parser mar shipped before took 17-30 µs per `new URL`; this takes ~0.5.)

const kOmitted = 0xffffffff;  // the offset of a component the URL does not have
const { urlParse, urlCanParse, urlSet, urlOrigin, utf8Encode } = native;
const scratch = new Uint32Array(8);  // Ada's offsets, written by urlParse/urlSet
const quote = (value) => JSON.stringify(value);
const webidl = internal.webidl;
const toUSV = (value) => webidl.toUSVString(value, "URL");

// What URL and URLSearchParams reach of each other's private state (set in their static blocks).
let setUrlQuery, isURL, linkParams, paramsFromQuery, isURLSearchParams;

const kSetHref = 0, kSetProtocol = 1, kSetUsername = 2, kSetPassword = 3, kSetHost = 4, kSetHostname = 5,
  kSetPort = 6, kSetPathname = 7, kSetSearch = 8, kSetHash = 9;

class URL {
  #href;
  #protocolEnd;
  #usernameEnd;
  #hostStart;
  #hostEnd;
  #port;
  #pathnameStart;
  #searchStart;
  #hashStart;
  #params = null;  // the URLSearchParams of searchParams, once asked for

  constructor(url, base = undefined) {
    webidl.requireArguments(arguments.length, 1, "URL constructor");
    const input = toUSV(url);
    const href = base === undefined ? urlParse(input, undefined, scratch) : urlParse(input, toUSV(base), scratch);
    if (href === null) {
      throw new TypeError(base === undefined ? `Invalid URL: ${quote(input)}` : `Invalid URL: ${quote(input)} against base ${quote(toUSV(base))}`);
    }
    this.#take(href);
  }

  // The URL, or null where the constructor would throw.
  static parse(url, base = undefined) {
    webidl.requireArguments(arguments.length, 1, "URL.parse");
    const input = toUSV(url);
    const href = base === undefined ? urlParse(input, undefined, scratch) : urlParse(input, toUSV(base), scratch);
    return href === null ? null : new URL(href);
  }

  static canParse(url, base = undefined) {
    webidl.requireArguments(arguments.length, 1, "URL.canParse");
    return base === undefined ? urlCanParse(toUSV(url), undefined) : urlCanParse(toUSV(url), toUSV(base));
  }

  #take(href) {
    this.#href = href;
    this.#protocolEnd = scratch[0];
    this.#usernameEnd = scratch[1];
    this.#hostStart = scratch[2];
    this.#hostEnd = scratch[3];
    this.#port = scratch[4];
    this.#pathnameStart = scratch[5];
    this.#searchStart = scratch[6];
    this.#hashStart = scratch[7];
  }

  // A setter: a value the standard refuses leaves the URL as it was. A new query is parsed into
  // searchParams, unless it came from there.
  #set(part, value, reparse = true) {
    const href = urlSet(this.#href, part, toUSV(value), scratch);
    if (href === null) return false;
    this.#take(href);
    if ((part === kSetSearch || part === kSetHref) && reparse && this.#params !== null) {
      paramsFromQuery(this.#params, this.search);
    }
    return true;
  }

  get href() { return this.#href; }
  set href(value) {
    if (!this.#set(kSetHref, value)) throw new TypeError(`Invalid URL: ${quote(toUSV(value))}`);
  }

  get origin() { return urlOrigin(this.#href); }

  get protocol() { return this.#href.slice(0, this.#protocolEnd); }
  set protocol(value) { this.#set(kSetProtocol, value); }

  get username() {
    return this.#protocolEnd + 2 < this.#usernameEnd ? this.#href.slice(this.#protocolEnd + 2, this.#usernameEnd) : "";
  }
  set username(value) { this.#set(kSetUsername, value); }

  get password() {
    return this.#hostStart - this.#usernameEnd > 0 ? this.#href.slice(this.#usernameEnd + 1, this.#hostStart) : "";
  }
  set password(value) { this.#set(kSetPassword, value); }

  get host() {
    let start = this.#hostStart;
    if (this.#href.charCodeAt(start) === 0x40 /* @ */) start++;
    // An empty host: what lies between it and the path may be a "/".
    return start === this.#hostEnd ? "" : this.#href.slice(start, this.#pathnameStart);
  }
  set host(value) { this.#set(kSetHost, value); }

  get hostname() {
    let start = this.#hostStart;
    if (this.#href.charCodeAt(start) === 0x40 /* @ */) start++;
    return this.#href.slice(start, this.#hostEnd);
  }
  set hostname(value) { this.#set(kSetHostname, value); }

  get port() { return this.#port === kOmitted ? "" : `${this.#port}`; }
  set port(value) { this.#set(kSetPort, value); }

  get pathname() {
    const end = this.#searchStart !== kOmitted ? this.#searchStart : this.#hashStart !== kOmitted ? this.#hashStart : this.#href.length;
    return this.#href.slice(this.#pathnameStart, end);
  }
  set pathname(value) { this.#set(kSetPathname, value); }

  get search() {
    if (this.#searchStart === kOmitted) return "";
    const end = this.#hashStart !== kOmitted ? this.#hashStart : this.#href.length;
    return end - this.#searchStart <= 1 ? "" : this.#href.slice(this.#searchStart, end);
  }
  set search(value) { this.#set(kSetSearch, value); }

  get searchParams() {
    if (this.#params === null) {
      this.#params = new URLSearchParams(this.search);
      linkParams(this.#params, this);
    }
    return this.#params;
  }

  get hash() {
    if (this.#hashStart === kOmitted || this.#href.length - this.#hashStart <= 1) return "";
    return this.#href.slice(this.#hashStart);
  }
  set hash(value) { this.#set(kSetHash, value); }

  toString() { return this.#href; }
  toJSON() { return this.#href; }

  static {
    // For URLSearchParams' update steps: the query set from its list ("" removes it).
    setUrlQuery = (url, query) => url.#set(kSetSearch, query, false);
    isURL = (value) => typeof value === "object" && value !== null && #href in value;
  }
}

// ---- URLSearchParams -------------------------------------------------------------------------

// application/x-www-form-urlencoded serializer: UTF-8, with " " as "+" and every byte outside
// *-._ and ASCII alphanumerics percent-encoded.
const kHex = "0123456789ABCDEF";
const isUnreserved = (c) =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2a || c === 0x2d || c === 0x2e || c === 0x5f;
function serializeComponent(string) {
  let i = 0;
  while (i < string.length && isUnreserved(string.charCodeAt(i))) i++;
  if (i === string.length) return string;
  const bytes = utf8Encode(string);
  let out = "";
  for (const b of bytes) out += isUnreserved(b) ? String.fromCharCode(b) : b === 0x20 ? "+" : "%" + kHex[b >> 4] + kHex[b & 15];
  return out;
}

class URLSearchParams {
  #list = [];      // [name, value] pairs
  #url = null;     // the URL whose query this is, if any

  constructor(init = undefined) {
    if (init === undefined) return;
    if ((typeof init === "object" && init !== null) || typeof init === "function") {
      const iterator = init[Symbol.iterator];
      if (iterator !== undefined && iterator !== null) {
        if (typeof iterator !== "function") throw new TypeError("URLSearchParams constructor: the init's @@iterator is not a function.");
        for (const pair of init) {
          if ((typeof pair !== "object" && typeof pair !== "function") || pair === null) {
            throw new TypeError("URLSearchParams constructor: each init pair must be a sequence.");
          }
          const items = [...pair];
          if (items.length !== 2) throw new TypeError("URLSearchParams constructor: each init pair must have exactly two items.");
          this.#list.push([toUSV(items[0]), toUSV(items[1])]);
        }
        return;
      }
      for (const key of Reflect.ownKeys(init)) {
        const descriptor = Reflect.getOwnPropertyDescriptor(init, key);
        if (descriptor === undefined || !descriptor.enumerable) continue;
        if (typeof key === "symbol") throw new TypeError("URLSearchParams constructor: a record key cannot be a Symbol.");
        this.#list.push([toUSV(key), toUSV(init[key])]);
      }
      return;
    }
    let query = toUSV(init);
    if (query.charCodeAt(0) === 0x3f /* ? */) query = query.slice(1);
    parseUrlencoded(query, this.#list);
  }

  #update() {
    if (this.#url !== null) setUrlQuery(this.#url, this.#serialize());
  }
  #serialize() {
    let out = "";
    for (let i = 0; i < this.#list.length; i++) {
      if (i > 0) out += "&";
      out += serializeComponent(this.#list[i][0]) + "=" + serializeComponent(this.#list[i][1]);
    }
    return out;
  }

  get size() { return this.#list.length; }

  append(name, value) {
    webidl.requireArguments(arguments.length, 2, "URLSearchParams.append");
    this.#list.push([toUSV(name), toUSV(value)]);
    this.#update();
  }
  delete(name, value = undefined) {
    webidl.requireArguments(arguments.length, 1, "URLSearchParams.delete");
    const key = toUSV(name);
    const only = value === undefined ? undefined : toUSV(value);
    const list = this.#list;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i][0] === key && (only === undefined || list[i][1] === only)) list.splice(i, 1);
    }
    this.#update();
  }
  get(name) {
    webidl.requireArguments(arguments.length, 1, "URLSearchParams.get");
    const key = toUSV(name);
    for (const [n, v] of this.#list) if (n === key) return v;
    return null;
  }
  getAll(name) {
    webidl.requireArguments(arguments.length, 1, "URLSearchParams.getAll");
    const key = toUSV(name);
    return this.#list.filter(([n]) => n === key).map(([, v]) => v);
  }
  has(name, value = undefined) {
    webidl.requireArguments(arguments.length, 1, "URLSearchParams.has");
    const key = toUSV(name);
    const only = value === undefined ? undefined : toUSV(value);
    return this.#list.some(([n, v]) => n === key && (only === undefined || v === only));
  }
  set(name, value) {
    webidl.requireArguments(arguments.length, 2, "URLSearchParams.set");
    const key = toUSV(name);
    const text = toUSV(value);
    const list = this.#list;
    const index = list.findIndex(([n]) => n === key);
    if (index === -1) {
      list.push([key, text]);
    } else {
      list[index] = [key, text];
      for (let i = list.length - 1; i > index; i--) if (list[i][0] === key) list.splice(i, 1);
    }
    this.#update();
  }
  sort() {
    // By UTF-16 code units (JS string comparison); Array.prototype.sort is stable, and in place.
    this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.#update();
  }
  forEach(callback, thisArg = undefined) {
    if (typeof callback !== "function") throw new TypeError("URLSearchParams.forEach: the callback is not a function.");
    for (let i = 0; i < this.#list.length; i++) {
      const [name, value] = this.#list[i];
      callback.call(thisArg, value, name, this);
    }
  }
  entries() { return pairIterator(this.#list, (pair) => [pair[0], pair[1]]); }
  keys() { return pairIterator(this.#list, (pair) => pair[0]); }
  values() { return pairIterator(this.#list, (pair) => pair[1]); }  // the list is only changed in place
  toString() { return this.#serialize(); }

  static {
    linkParams = (params, url) => {
      params.#url = url;
    };
    paramsFromQuery = (params, query) => {
      params.#list.length = 0;  // in place: live iterators see the new list
      parseUrlencoded(query.charCodeAt(0) === 0x3f ? query.slice(1) : query, params.#list);
    };
    isURLSearchParams = (value) => typeof value === "object" && value !== null && #list in value;
  }
}

// application/x-www-form-urlencoded parser, for URLSearchParams and for formData() (34_form_data.js,
// over the UTF-8-decoded body): the [name, value] pairs of `query`, appended to `list`. Components
// without "%" are just sliced; valid percent-encoded UTF-8 goes through decodeURIComponent; only a
// malformed one is percent-decoded byte by byte, with U+FFFD for what does not decode.
function parseUrlencoded(query, list = []) {
  let start = 0;
  while (start < query.length) {
    let end = query.indexOf("&", start);
    if (end === -1) end = query.length;
    if (end > start) {
      let equals = query.indexOf("=", start);
      if (equals === -1 || equals > end) equals = end;
      list.push([decodeComponent(query.slice(start, equals)), equals < end ? decodeComponent(query.slice(equals + 1, end)) : ""]);
    }
    start = end + 1;
  }
  return list;
}
internal.parseUrlencoded = parseUrlencoded;

function decodeComponent(raw) {
  const spaced = raw.indexOf("+") === -1 ? raw : raw.replaceAll("+", " ");
  if (spaced.indexOf("%") === -1) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return percentDecode(utf8Encode(spaced));
  }
}

function hexValue(code) {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}
// The URL Standard's percent-decode of UTF-8 bytes, then UTF-8 decoded (no BOM handling).
function percentDecode(bytes) {
  const out = new Uint8Array(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const high = bytes[i] === 0x25 && i + 2 < bytes.length ? hexValue(bytes[i + 1]) : -1;
    const low = high === -1 ? -1 : hexValue(bytes[i + 2]);
    if (low === -1) {
      out[length++] = bytes[i];
    } else {
      out[length++] = (high << 4) | low;
      i += 2;
    }
  }
  return native.utf8Decode(out.subarray(0, length), false);
}

// A live iterator over the list (the spec's iterators see later changes).
const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
const URLSearchParamsIteratorPrototype = Object.create(IteratorPrototype, {
  [Symbol.toStringTag]: { value: "URLSearchParams Iterator", configurable: true },
});
function pairIterator(list, map) {
  let index = 0;
  const iterator = Object.create(URLSearchParamsIteratorPrototype);
  iterator.next = () => (index < list.length ? { value: map(list[index++]), done: false } : { value: undefined, done: true });
  return iterator;
}
URLSearchParams.prototype[Symbol.iterator] = URLSearchParams.prototype.entries;

webidl.configureInterface(URL);
webidl.configureInterface(URLSearchParams);
Object.defineProperty(URLSearchParams.prototype, Symbol.iterator, { enumerable: false });

internal.isUrlObject = (value, name) => (name === "URL" ? isURL(value) : isURLSearchParams(value));
internal.setInspectFields(URL, (url) => ({
  href: url.href, origin: url.origin, protocol: url.protocol, username: url.username, password: url.password,
  host: url.host, hostname: url.hostname, port: url.port, pathname: url.pathname, search: url.search,
  searchParams: url.searchParams, hash: url.hash,
}));
internal.defineGlobal("URL", URL);
internal.defineGlobal("URLSearchParams", URLSearchParams);
