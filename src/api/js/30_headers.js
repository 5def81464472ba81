// Headers (Fetch Standard §5.2 "Headers class"), as Workers and Deno behave on a server: there are
// no forbidden request/response header names, so the only guards are "none" and "immutable".
//
// A header list is kept as one flat array [name0, value0, name1, value1, ...] with lower-cased
// names, in insertion order. Lower-casing on the way in makes every lookup a plain `===` scan,
// which beats a Map for the dozen or so headers a message carries and keeps duplicates (and
// set-cookie) in order. Names reach the wire lower-cased, which HTTP/1.1 and HTTP/2 both accept.
//
// Exports on `internal` (used by 31-33 and by the runtime glue):
//   Headers                          the class
//   headersFromPairs(pairs, immutable) a Headers over a flat [name, value, ...] array that the
//                                    HTTP parser already validated; takes ownership of `pairs`
//                                    (names are lower-cased in place), no validation
//   headersFromInit(init, immutable?) `new Headers(init)`, optionally made immutable afterwards
//   headersClone(headers)            a copy with the same guard
//   headersList(headers)             the internal flat list (read it, never change it)
//   headersAppendTrusted(h, n, v)    append without validation or guard check (lower-case n)
//   headersContains(headers, lname) / headersGet(headers, lname)  lookups by a lower-case name
//   headersSetImmutable(headers)     switch the guard to "immutable"
//   headersPairs(headers)            the sorted and combined [name, value] pairs iteration shows
//   normalizeHeaderValue / isValidHeaderName / toByteString   validation helpers

// A header value as the Fetch Standard allows it, already normalized: no leading or trailing HTTP
// whitespace (tab, LF, CR, space), no NUL, LF or CR anywhere, and Latin-1 only (a ByteString).
const kValidValueRe = /^(?:[^\0\t\n\r \u0100-\uffff](?:[^\0\n\r\u0100-\uffff]*[^\0\n\r\t \u0100-\uffff])?)?$/;
const kNonLatin1Re = /[\u0100-\uffff]/;
const kLeadingWhitespaceRe = /^[\t\n\r ]+/;
const kTrailingWhitespaceRe = /[\t\n\r ]+$/;
const kForbiddenValueCharRe = /[\0\n\r]/;

function quote(string) {
  return JSON.stringify(string);
}

// WebIDL ByteString conversion: ToString (a Symbol throws a TypeError) then reject code units
// above 0xFF.
function toByteString(value, what) {
  const string = typeof value === "string" ? value : `${value}`;
  if (kNonLatin1Re.test(string)) {
    throw new TypeError(`${what} must contain only characters in the range U+0000..U+00FF (a ByteString), got ${quote(string)}`);
  }
  return string;
}

// tchar of RFC 9110 by code unit; header names are short, and a table walk beats a RegExp call.
const kTokenChars = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") kTokenChars[c.charCodeAt(0)] = 1;

function isValidHeaderName(name) {
  const length = name.length;
  if (length === 0) return false;
  for (let i = 0; i < length; i++) {
    const code = name.charCodeAt(i);
    if (code >= 128 || kTokenChars[code] === 0) return false;
  }
  return true;
}

// Converts `name` to a lower-cased, valid header name or throws a precise TypeError.
function checkName(name) {
  const string = typeof name === "string" ? name : `${name}`;
  if (!isValidHeaderName(string)) throw new TypeError(`Invalid header name: ${quote(string)}`);
  return string.toLowerCase();
}

// Whether `value` is already a normalized, valid header value (see kValidValueRe), for the
// common short values without a RegExp call.
function isNormalizedValue(value) {
  const length = value.length;
  if (length > 256) return kValidValueRe.test(value);
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0xff || code === 0 || code === 10 || code === 13) return false;
    if ((code === 9 || code === 32) && (i === 0 || i === length - 1)) return false;
  }
  return true;
}

// Converts `value` to a normalized, valid header value or throws a precise TypeError.
function normalizeHeaderValue(value, lowerName) {
  let string = typeof value === "string" ? value : `${value}`;
  if (isNormalizedValue(string)) return string;
  string = toByteString(string, `The value of header ${quote(lowerName)}`);
  string = string.replace(kLeadingWhitespaceRe, "").replace(kTrailingWhitespaceRe, "");
  if (kForbiddenValueCharRe.test(string)) {
    throw new TypeError(`Invalid value for header ${quote(lowerName)}: ${quote(string)} (NUL, CR and LF are not allowed)`);
  }
  return string;
}

function requireArguments(count, required, method) {
  if (count < required) {
    throw new TypeError(`Headers.${method}: ${required} argument${required > 1 ? "s" : ""} required, but only ${count} present`);
  }
}

function immutableError() {
  return new TypeError("Headers are immutable");
}

// The value pairs the iterators walk: "sort and combine" from the Fetch Standard. Names sort by
// code unit (they are ASCII), values of one name join with ", ", set-cookie stays one pair each.
function sortAndCombine(list) {
  const count = list.length >>> 1;
  const order = new Array(count);
  for (let i = 0; i < count; i++) order[i] = i << 1;
  // Array.prototype.sort is stable, so equal names keep their insertion order.
  order.sort((a, b) => (list[a] < list[b] ? -1 : list[a] > list[b] ? 1 : 0));
  const pairs = [];
  for (let i = 0; i < count; i++) {
    const name = list[order[i]];
    let value = list[order[i] + 1];
    if (name !== "set-cookie") {
      while (i + 1 < count && list[order[i + 1]] === name) value += ", " + list[order[++i] + 1];
    }
    pairs.push([name, value]);
  }
  return pairs;
}

const kIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
const kIterationKinds = { entries: 0, keys: 1, values: 2 };

class Headers {
  #list = [];
  #immutable = false;
  // sortAndCombine(#list), computed when first iterated and dropped on every change.
  #sorted = null;

  constructor(init = undefined) {
    if (init !== undefined) Headers.#fill(this, init);
  }

  // "fill" from the Fetch Standard: a Headers, a sequence of [name, value] pairs or a record.
  static #fill(headers, init) {
    if (typeof init !== "object" && typeof init !== "function" || init === null) {
      throw new TypeError("Headers constructor: the init argument must be a Headers object, an iterable of [name, value] pairs or an object whose properties are header names, got " + (init === null ? "null" : typeof init));
    }
    if (#list in init) {
      // Fast path for a real Headers: its list is already valid; copy it as is.
      const source = init.#list;
      for (let i = 0; i < source.length; i++) headers.#list.push(source[i]);
      return;
    }
    const iteratorMethod = init[Symbol.iterator];
    if (iteratorMethod !== undefined && iteratorMethod !== null) {
      if (typeof iteratorMethod !== "function") {
        throw new TypeError("Headers constructor: init[Symbol.iterator] is not a function");
      }
      let index = 0;
      for (const pair of { [Symbol.iterator]: () => iteratorMethod.call(init) }) {
        if (typeof pair !== "object" && typeof pair !== "function" || pair === null || typeof pair[Symbol.iterator] !== "function") {
          throw new TypeError(`Headers constructor: header pair at index ${index} must be an iterable [name, value], got ${pair === null ? "null" : typeof pair}`);
        }
        const items = Array.from(pair);
        if (items.length !== 2) {
          throw new TypeError(`Headers constructor: header pair at index ${index} must contain exactly two items (name and value), got ${items.length}`);
        }
        headers.#append(items[0], items[1]);
        index++;
      }
      return;
    }
    // record<ByteString, ByteString>: own enumerable keys in property order. Object.keys gives
    // exactly the string ones; an enumerable Symbol key cannot convert to a ByteString.
    for (const symbol of Object.getOwnPropertySymbols(init)) {
      if (Object.prototype.propertyIsEnumerable.call(init, symbol)) {
        throw new TypeError("Headers constructor: header names cannot be Symbols");
      }
    }
    const keys = Object.keys(init);
    for (let i = 0; i < keys.length; i++) headers.#append(keys[i], init[keys[i]]);
  }

  #append(name, value) {
    const lowerName = checkName(name);
    const normalized = normalizeHeaderValue(value, lowerName);
    if (this.#immutable) throw immutableError();
    this.#list.push(lowerName, normalized);
    this.#sorted = null;
  }

  append(name, value) {
    requireArguments(arguments.length, 2, "append");
    this.#append(name, value);
  }

  delete(name) {
    requireArguments(arguments.length, 1, "delete");
    const lowerName = checkName(name);
    if (this.#immutable) throw immutableError();
    const list = this.#list;
    let write = 0;
    for (let read = 0; read < list.length; read += 2) {
      if (list[read] === lowerName) continue;
      list[write] = list[read];
      list[write + 1] = list[read + 1];
      write += 2;
    }
    if (write !== list.length) {
      list.length = write;
      this.#sorted = null;
    }
  }

  get(name) {
    requireArguments(arguments.length, 1, "get");
    return Headers.#get(this.#list, checkName(name));
  }

  static #get(list, lowerName) {
    let result = null;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === lowerName) result = result === null ? list[i + 1] : result + ", " + list[i + 1];
    }
    return result;
  }

  getSetCookie() {
    const list = this.#list;
    const values = [];
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === "set-cookie") values.push(list[i + 1]);
    }
    return values;
  }

  has(name) {
    requireArguments(arguments.length, 1, "has");
    return Headers.#contains(this.#list, checkName(name));
  }

  static #contains(list, lowerName) {
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === lowerName) return true;
    }
    return false;
  }

  set(name, value) {
    requireArguments(arguments.length, 2, "set");
    const lowerName = checkName(name);
    const normalized = normalizeHeaderValue(value, lowerName);
    if (this.#immutable) throw immutableError();
    // Replace the first occurrence in place and drop the others (Fetch "header list set").
    const list = this.#list;
    let found = false;
    let write = 0;
    for (let read = 0; read < list.length; read += 2) {
      if (list[read] === lowerName) {
        if (found) continue;
        found = true;
        list[read + 1] = normalized;
      }
      list[write] = list[read];
      list[write + 1] = list[read + 1];
      write += 2;
    }
    list.length = write;
    if (!found) list.push(lowerName, normalized);
    this.#sorted = null;
  }

  #pairs() {
    return this.#sorted ??= sortAndCombine(this.#list);
  }

  forEach(callback, thisArg = undefined) {
    requireArguments(arguments.length, 1, "forEach");
    if (typeof callback !== "function") throw new TypeError("Headers.forEach: the callback is not a function");
    // WebIDL: the pairs are recomputed after every call, so changes made by the callback show.
    for (let i = 0; i < this.#pairs().length; i++) {
      const pair = this.#pairs()[i];
      callback.call(thisArg, pair[1], pair[0], this);
    }
  }

  entries() {
    return HeadersIterator.create(this, kIterationKinds.entries);
  }

  keys() {
    return HeadersIterator.create(this, kIterationKinds.keys);
  }

  values() {
    return HeadersIterator.create(this, kIterationKinds.values);
  }

  static {
    internal.headersFromPairs = (pairs, immutable) => {
      const headers = new Headers();
      for (let i = 0; i < pairs.length; i += 2) pairs[i] = pairs[i].toLowerCase();
      headers.#list = pairs;
      headers.#immutable = immutable === true;
      return headers;
    };
    internal.headersFromInit = (init, immutable) => {
      const headers = new Headers(init);
      headers.#immutable = immutable === true;
      return headers;
    };
    internal.headersClone = (source) => {
      const headers = new Headers();
      headers.#list = source.#list.slice();
      headers.#immutable = source.#immutable;
      return headers;
    };
    internal.headersList = (headers) => headers.#list;
    internal.headersAppendTrusted = (headers, lowerName, value) => {
      headers.#list.push(lowerName, value);
      headers.#sorted = null;
    };
    internal.headersContains = (headers, lowerName) => Headers.#contains(headers.#list, lowerName);
    internal.headersGet = (headers, lowerName) => Headers.#get(headers.#list, lowerName);
    internal.headersSetImmutable = (headers) => {
      headers.#immutable = true;
    };
    internal.headersPairs = (headers) => headers.#pairs();
    internal.isHeaders = (value) => typeof value === "object" && value !== null && #list in value;
  }
}

// The "Headers Iterator" objects of WebIDL pair iterables: each next() looks at the current sorted
// pairs, so a change to the Headers during iteration is seen, as the spec requires.
class HeadersIterator {
  #headers;
  #kind;
  #index = 0;

  constructor(headers, kind) {
    this.#headers = headers;
    this.#kind = kind;
  }

  static create(headers, kind) {
    // Touch a private field so that calling entries() on a non-Headers throws a TypeError.
    internal.headersList(headers);
    return new HeadersIterator(headers, kind);
  }

  next() {
    const pairs = internal.headersPairs(this.#headers);
    const index = this.#index;
    if (index >= pairs.length) return { value: undefined, done: true };
    this.#index = index + 1;
    const pair = pairs[index];
    const kind = this.#kind;
    if (kind === kIterationKinds.keys) return { value: pair[0], done: false };
    if (kind === kIterationKinds.values) return { value: pair[1], done: false };
    return { value: [pair[0], pair[1]], done: false };
  }
}
Object.setPrototypeOf(HeadersIterator.prototype, kIteratorPrototype);
Object.defineProperty(HeadersIterator.prototype, Symbol.toStringTag, { value: "Headers Iterator", configurable: true });
// The iterator's class is not a global and user code cannot construct one: WebIDL iterator
// prototypes have no constructor property.
delete HeadersIterator.prototype.constructor;

Object.defineProperty(Headers.prototype, Symbol.iterator, {
  value: Headers.prototype.entries, writable: true, configurable: true, enumerable: false,
});
internal.brand(Headers);
internal.registerPlatformInterface("Headers", internal.isHeaders);
// console.log shows the headers as iteration lists them, set-cookie values as an array.
internal.setInspectFields?.(Headers, (headers) => {
  const fields = {};
  const cookies = internal.headersPairs(headers).filter((pair) => pair[0] === "set-cookie").map((pair) => pair[1]);
  for (const [name, value] of internal.headersPairs(headers)) {
    // defineProperty, since "__proto__" is a valid header name.
    const shown = name === "set-cookie" ? cookies : value;
    Object.defineProperty(fields, name, { value: shown, writable: true, enumerable: true, configurable: true });
  }
  return fields;
});

internal.Headers = Headers;
internal.toByteString = toByteString;
internal.isValidHeaderName = isValidHeaderName;
internal.normalizeHeaderValue = normalizeHeaderValue;
internal.defineGlobal("Headers", Headers);
