// FormData (XMLHttpRequest Standard §4.3) with string entries, plus the two form encodings the
// Body mixin needs: multipart/form-data for `new Response(formData)` and the parsers behind
// `body.formData()` for application/x-www-form-urlencoded and multipart/form-data.
//
// mar has no Blob or File yet, so an entry is always a string: the three-argument append/set
// (which needs a Blob) and a multipart part that carries a file name throw a TypeError saying so,
// instead of turning files into strings.
//
// Exports on `internal`: FormData, isFormData(value), serializeFormData(formData) -> { source,
// type } (the body extraction of 31_body.js), parseFormData(source, contentType) -> FormData.

const kIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
const kUnsupportedValueTags = new Set(["Blob", "File"]);

function quote(string) {
  return JSON.stringify(string);
}

function requireArguments(count, required, method) {
  if (count < required) {
    throw new TypeError(`FormData.${method}: ${required} argument${required > 1 ? "s" : ""} required, but only ${count} present`);
  }
}

function toName(name) {
  return internal.toUSVString(typeof name === "string" ? name : `${name}`);
}

function toValue(value, argumentCount, method) {
  if (argumentCount > 2) {
    throw new TypeError(`FormData.${method}: file entries (a Blob value and a file name) are not supported by mar yet`);
  }
  if (typeof value === "object" && value !== null) {
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    if (kUnsupportedValueTags.has(tag)) throw new TypeError(`FormData.${method}: ${tag} entries are not supported by mar yet`);
  }
  return internal.toUSVString(typeof value === "string" ? value : `${value}`);
}

class FormData {
  // Flat [name0, value0, name1, value1, ...] in insertion order.
  #entries = [];

  constructor(form = undefined) {
    if (form !== undefined) {
      throw new TypeError("FormData constructor: mar has no HTML form elements; call new FormData() without arguments");
    }
  }

  append(name, value) {
    requireArguments(arguments.length, 2, "append");
    this.#entries.push(toName(name), toValue(value, arguments.length, "append"));
  }

  delete(name) {
    requireArguments(arguments.length, 1, "delete");
    const key = toName(name);
    const entries = this.#entries;
    let write = 0;
    for (let read = 0; read < entries.length; read += 2) {
      if (entries[read] === key) continue;
      entries[write] = entries[read];
      entries[write + 1] = entries[read + 1];
      write += 2;
    }
    entries.length = write;
  }

  get(name) {
    requireArguments(arguments.length, 1, "get");
    const key = toName(name);
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i += 2) {
      if (entries[i] === key) return entries[i + 1];
    }
    return null;
  }

  getAll(name) {
    requireArguments(arguments.length, 1, "getAll");
    const key = toName(name);
    const entries = this.#entries;
    const values = [];
    for (let i = 0; i < entries.length; i += 2) {
      if (entries[i] === key) values.push(entries[i + 1]);
    }
    return values;
  }

  has(name) {
    requireArguments(arguments.length, 1, "has");
    const key = toName(name);
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i += 2) {
      if (entries[i] === key) return true;
    }
    return false;
  }

  set(name, value) {
    requireArguments(arguments.length, 2, "set");
    const key = toName(name);
    const converted = toValue(value, arguments.length, "set");
    const entries = this.#entries;
    let found = false;
    let write = 0;
    for (let read = 0; read < entries.length; read += 2) {
      if (entries[read] === key) {
        if (found) continue;
        found = true;
        entries[read + 1] = converted;
      }
      entries[write] = entries[read];
      entries[write + 1] = entries[read + 1];
      write += 2;
    }
    entries.length = write;
    if (!found) entries.push(key, converted);
  }

  forEach(callback, thisArg = undefined) {
    requireArguments(arguments.length, 1, "forEach");
    if (typeof callback !== "function") throw new TypeError("FormData.forEach: the callback is not a function");
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i += 2) callback.call(thisArg, entries[i + 1], entries[i], this);
  }

  entries() {
    return new FormDataIterator(this.#entries, 0);
  }

  keys() {
    return new FormDataIterator(this.#entries, 1);
  }

  values() {
    return new FormDataIterator(this.#entries, 2);
  }

  static {
    internal.isFormData = (value) => typeof value === "object" && value !== null && #entries in value;
    internal.formDataEntries = (formData) => formData.#entries;
  }
}

// Walks the live entry list by index, as WebIDL pair iterators do.
class FormDataIterator {
  #entries;
  #kind;
  #index = 0;

  constructor(entries, kind) {
    this.#entries = entries;
    this.#kind = kind;
  }

  next() {
    const entries = this.#entries;
    const index = this.#index;
    if (index >= entries.length) return { value: undefined, done: true };
    this.#index = index + 2;
    if (this.#kind === 1) return { value: entries[index], done: false };
    if (this.#kind === 2) return { value: entries[index + 1], done: false };
    return { value: [entries[index], entries[index + 1]], done: false };
  }
}
Object.setPrototypeOf(FormDataIterator.prototype, kIteratorPrototype);
Object.defineProperty(FormDataIterator.prototype, Symbol.toStringTag, { value: "FormData Iterator", configurable: true });
delete FormDataIterator.prototype.constructor;
Object.defineProperty(FormData.prototype, Symbol.iterator, {
  value: FormData.prototype.entries, writable: true, configurable: true, enumerable: false,
});
internal.brand(FormData);
internal.registerPlatformInterface("FormData", internal.isFormData);
// console.log shows the entries, a repeated name's values as an array.
internal.setInspectFields?.(FormData, (formData) => {
  const values = new Map();
  const entries = internal.formDataEntries(formData);
  for (let i = 0; i < entries.length; i += 2) {
    if (values.has(entries[i])) values.get(entries[i]).push(entries[i + 1]);
    else values.set(entries[i], [entries[i + 1]]);
  }
  const fields = {};
  for (const [name, list] of values) {
    // defineProperty, since an entry may be called "__proto__".
    const shown = list.length === 1 ? list[0] : list;
    Object.defineProperty(fields, name, { value: shown, writable: true, enumerable: true, configurable: true });
  }
  return fields;
});

// --- multipart/form-data serialization (HTML "multipart/form-data encoding algorithm") ---

// Line breaks in names and values become CRLF before encoding.
function normalizeNewlines(string) {
  return string.includes("\r") || string.includes("\n") ? string.replace(/\r\n|\r|\n/g, "\r\n") : string;
}

function escapeHeaderParameter(string) {
  return string.replace(/["\r\n]/g, (c) => (c === "\"" ? "%22" : c === "\r" ? "%0D" : "%0A"));
}

function newBoundary() {
  let boundary = "----marFormBoundary";
  for (let i = 0; i < 4; i++) boundary += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, "0");
  return boundary;
}

function serializeFormData(formData) {
  const entries = internal.formDataEntries(formData);
  const parts = [];
  for (let i = 0; i < entries.length; i += 2) {
    const name = escapeHeaderParameter(normalizeNewlines(entries[i]));
    parts.push(`\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${normalizeNewlines(entries[i + 1])}\r\n`);
  }
  // The boundary must not occur in the content; with 128 random bits it essentially never does.
  let boundary = newBoundary();
  while (parts.some((part) => part.includes(boundary))) boundary = newBoundary();
  let source = "";
  for (const part of parts) source += `--${boundary}${part}`;
  source += `--${boundary}--\r\n`;
  return { source, type: `multipart/form-data; boundary=${boundary}` };
}

// --- parsing (Fetch "body.formData()") ---

// The MIME type's essence and parameters, enough for the two form types (RFC 9110 media-type).
// Quoted parameter values take backslash escapes in a Content-Type but not in a multipart part's
// Content-Disposition, where browsers percent-encode instead.
function parseMimeType(contentType, backslashEscapes = true) {
  const semicolon = contentType.indexOf(";");
  const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  const parameters = new Map();
  if (semicolon !== -1) {
    const re = backslashEscapes ? /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g : /;\s*([^=;\s]+)\s*=\s*(?:"([^"]*)"|([^;]*))/g;
    let match;
    re.lastIndex = semicolon;
    while ((match = re.exec(contentType)) !== null) {
      const key = match[1].toLowerCase();
      const value = match[2] === undefined ? match[3].trim() : backslashEscapes ? match[2].replace(/\\(.)/g, "$1") : match[2];
      if (!parameters.has(key)) parameters.set(key, value);
    }
  }
  return { essence, parameters };
}

function toBytes(source) {
  if (source === null) return new Uint8Array(0);
  return typeof source === "string" ? native.utf8Encode(source) : source;
}

function indexOfBytes(haystack, needle, from) {
  const first = needle[0];
  const last = haystack.length - needle.length;
  for (let i = haystack.indexOf(first, from); i !== -1 && i <= last; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

function latin1(bytes, start, end) {
  let string = "";
  for (let i = start; i < end; i += 8192) {
    string += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 8192)));
  }
  return string;
}

function malformed(detail) {
  return new TypeError(`formData(): malformed multipart/form-data body: ${detail}`);
}

function parseMultipart(bytes, boundary, formData) {
  const delimiter = native.utf8Encode(`--${boundary}`);
  let position = indexOfBytes(bytes, delimiter, 0);
  if (position === -1) throw malformed("the boundary does not occur in the body");
  const crlfDelimiter = native.utf8Encode(`\r\n--${boundary}`);
  const headerEnd = new Uint8Array([13, 10, 13, 10]);
  for (;;) {
    position += delimiter.length;
    if (bytes[position] === 0x2d && bytes[position + 1] === 0x2d) return; // the closing "--boundary--"
    // Skip transport padding, then the CRLF that ends the delimiter line.
    while (bytes[position] === 0x20 || bytes[position] === 0x09) position++;
    if (bytes[position] !== 13 || bytes[position + 1] !== 10) throw malformed("a boundary line does not end in CRLF");
    position += 2;
    const headersEnd = indexOfBytes(bytes, headerEnd, position - 2);
    if (headersEnd === -1) throw malformed("a part's header section does not end");
    const headerText = latin1(bytes, position, headersEnd);
    const next = indexOfBytes(bytes, crlfDelimiter, headersEnd + 4);
    if (next === -1) throw malformed("the closing boundary is missing");

    let name = null;
    for (const line of headerText.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon === -1 || line.slice(0, colon).trim().toLowerCase() !== "content-disposition") continue;
      const disposition = parseMimeType(line.slice(colon + 1), false);
      if (disposition.essence !== "form-data") throw malformed(`a part's Content-Disposition is ${quote(disposition.essence)}, not form-data`);
      if (disposition.parameters.has("filename")) {
        throw new TypeError("formData(): file uploads are not supported by mar yet (File is coming); read the body with arrayBuffer() or bytes() and parse it yourself");
      }
      if (disposition.parameters.has("name")) name = disposition.parameters.get("name");
    }
    if (name === null) throw malformed("a part has no Content-Disposition name");
    // Header parameters arrive as UTF-8 bytes decoded as Latin-1 above; names escape ", CR, LF.
    const nameBytes = Uint8Array.from(name, (c) => c.charCodeAt(0));
    name = native.utf8Decode(nameBytes, false).replace(/%22|%0D|%0A/gi, (e) => (e === "%22" ? "\"" : e.toUpperCase() === "%0D" ? "\r" : "\n"));
    formData.append(name, native.utf8Decode(bytes.subarray(headersEnd + 4, next), false));
    position = next + 2;
  }
}

function parseFormData(source, contentType) {
  const { essence, parameters } = parseMimeType(contentType ?? "");
  const formData = new FormData();
  if (essence === "application/x-www-form-urlencoded") {
    // The body decoded, then the same parser as URLSearchParams (27_url.js).
    for (const [name, value] of internal.parseUrlencoded(native.utf8Decode(toBytes(source), false))) formData.append(name, value);
    return formData;
  }
  if (essence === "multipart/form-data") {
    const boundary = parameters.get("boundary");
    if (boundary === undefined || boundary === "") throw new TypeError("formData(): the multipart/form-data Content-Type has no boundary parameter");
    parseMultipart(toBytes(source), boundary, formData);
    return formData;
  }
  throw new TypeError(`formData(): cannot parse a body of Content-Type ${quote(contentType ?? "")}; expected application/x-www-form-urlencoded or multipart/form-data`);
}

internal.FormData = FormData;
internal.serializeFormData = serializeFormData;
internal.parseFormData = parseFormData;
internal.defineGlobal("FormData", FormData);
