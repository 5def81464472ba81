// TextEncoder, TextDecoder, TextEncoderStream and TextDecoderStream (WHATWG Encoding Standard),
// UTF-8 only. The byte work is done by native.utf8Encode/utf8EncodeInto/utf8Decode; this file does
// the WebIDL conversions, the label lookup, BOM handling and streaming (holding back an incomplete
// trailing sequence between calls). Exports: internal.TextEncoder, internal.TextDecoder.

const { webidl } = internal;

class TextEncoder {
  static {
    internal.isTextEncoder = (value) => value !== null && typeof value === "object" && #brand in value;
  }

  #brand = true;

  get encoding() {
    if (!(#brand in this)) throw new TypeError("Illegal invocation");
    return "utf-8";
  }

  encode(input = "") {
    if (!(#brand in this)) throw new TypeError("Illegal invocation");
    return native.utf8Encode(webidl.toDOMString(input, "Failed to execute 'encode' on 'TextEncoder'"));
  }

  encodeInto(source, destination) {
    if (!(#brand in this)) throw new TypeError("Illegal invocation");
    const context = "Failed to execute 'encodeInto' on 'TextEncoder'";
    webidl.requireArguments(arguments.length, 2, context);
    source = webidl.toDOMString(source, context);
    if (webidl.typedArrayName(destination) !== "Uint8Array") {
      throw new TypeError(`${context}: parameter 2 is not of type 'Uint8Array'.`);
    }
    const [read, written] = native.utf8EncodeInto(source, destination);
    return { read, written };
  }
}
webidl.configureInterface(TextEncoder);

// Every label of the Encoding Standard (https://encoding.spec.whatwg.org/#names-and-labels), by
// encoding. mar decodes only UTF-8; the others are known so that the error can say which encoding
// was asked for rather than calling a valid label invalid.
const kEncodingLabels = {
  "UTF-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8",
  "IBM866": "866 cp866 csibm866 ibm866",
  "ISO-8859-2": "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2",
  "ISO-8859-3": "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3",
  "ISO-8859-4": "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4",
  "ISO-8859-5": "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988",
  "ISO-8859-6": "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987",
  "ISO-8859-7": "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek",
  "ISO-8859-8": "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 visual",
  "ISO-8859-8-I": "csiso88598i iso-8859-8-i logical",
  "ISO-8859-10": "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
  "ISO-8859-13": "iso-8859-13 iso8859-13 iso885913",
  "ISO-8859-14": "iso-8859-14 iso8859-14 iso885914",
  "ISO-8859-15": "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9",
  "ISO-8859-16": "iso-8859-16",
  "KOI8-R": "cskoi8r koi koi8 koi8-r koi8_r",
  "KOI8-U": "koi8-ru koi8-u",
  "macintosh": "csmacintosh mac macintosh x-mac-roman",
  "windows-874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
  "windows-1250": "cp1250 windows-1250 x-cp1250",
  "windows-1251": "cp1251 windows-1251 x-cp1251",
  "windows-1252": "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252",
  "windows-1253": "cp1253 windows-1253 x-cp1253",
  "windows-1254": "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254",
  "windows-1255": "cp1255 windows-1255 x-cp1255",
  "windows-1256": "cp1256 windows-1256 x-cp1256",
  "windows-1257": "cp1257 windows-1257 x-cp1257",
  "windows-1258": "cp1258 windows-1258 x-cp1258",
  "x-mac-cyrillic": "x-mac-cyrillic x-mac-ukrainian",
  "GBK": "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
  "gb18030": "gb18030",
  "Big5": "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
  "EUC-JP": "cseucpkdfmtjapanese euc-jp x-euc-jp",
  "ISO-2022-JP": "csiso2022jp iso-2022-jp",
  "Shift_JIS": "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
  "EUC-KR": "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 windows-949",
  "replacement": "csiso2022kr hz-gb-2312 iso-2022-cn iso-2022-cn-ext iso-2022-kr replacement",
  "UTF-16BE": "unicodefffe utf-16be",
  "UTF-16LE": "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
  "x-user-defined": "x-user-defined",
};
const encodingOfLabel = new Map();
for (const [encoding, labels] of Object.entries(kEncodingLabels)) {
  for (const label of labels.split(" ")) encodingOfLabel.set(label, encoding);
}

// Encoding Standard "get an encoding": trim ASCII whitespace, ASCII-lowercase, look up.
function getEncoding(label) {
  const key = label.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "").replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
  return encodingOfLabel.get(key);
}

// Length of an incomplete but so far valid UTF-8 sequence at the end of `bytes` (0 if none): the
// bytes a streaming decoder keeps for the next chunk. Mirrors the Encoding Standard's UTF-8
// decoder, including its narrower second-byte ranges after E0, ED, F0 and F4.
function incompleteTailLength(bytes) {
  const length = bytes.length;
  for (let back = 1; back <= 3 && back <= length; back++) {
    const lead = bytes[length - back];
    if (lead >= 0x80 && lead <= 0xbf) continue;  // continuation byte: keep looking for the lead
    let needed;
    if (lead >= 0xc2 && lead <= 0xdf) needed = 2;
    else if (lead >= 0xe0 && lead <= 0xef) needed = 3;
    else if (lead >= 0xf0 && lead <= 0xf4) needed = 4;
    else return 0;
    if (back >= needed) return 0;  // the sequence is complete (or invalid) within this chunk
    if (back >= 2) {
      const second = bytes[length - back + 1];
      let low = 0x80;
      let high = 0xbf;
      if (lead === 0xe0) low = 0xa0;
      else if (lead === 0xed) high = 0x9f;
      else if (lead === 0xf0) low = 0x90;
      else if (lead === 0xf4) high = 0x8f;
      if (second < low || second > high) return 0;
    }
    return back;
  }
  return 0;
}

class TextDecoder {
  #fatal;
  #ignoreBOM;
  #pending = null;     // Uint8Array: an incomplete sequence held back by a streaming decode
  #bomSeen = false;
  #streaming = false;  // the spec's "do not flush"

  constructor(label = "utf-8", options = undefined) {
    const context = "Failed to construct 'TextDecoder'";
    label = webidl.toDOMString(label, context);
    const dictionary = webidl.toDictionary(options, context);
    const fatal = !!dictionary.fatal;
    const ignoreBOM = !!dictionary.ignoreBOM;
    const encoding = getEncoding(label);
    if (encoding === undefined || encoding === "replacement") {
      throw new RangeError(`${context}: The encoding label provided ('${label}') is invalid.`);
    }
    if (encoding !== "UTF-8") {
      throw new RangeError(`${context}: The encoding '${encoding}' (label '${label}') is not supported by mar; only UTF-8 is.`);
    }
    this.#fatal = fatal;
    this.#ignoreBOM = ignoreBOM;
  }

  static {
    internal.isTextDecoder = (value) => value !== null && typeof value === "object" && #fatal in value;
  }

  get encoding() {
    if (!(#fatal in this)) throw new TypeError("Illegal invocation");
    return "utf-8";
  }

  get fatal() {
    if (!(#fatal in this)) throw new TypeError("Illegal invocation");
    return this.#fatal;
  }

  get ignoreBOM() {
    if (!(#fatal in this)) throw new TypeError("Illegal invocation");
    return this.#ignoreBOM;
  }

  decode(input = undefined, options = undefined) {
    if (!(#fatal in this)) throw new TypeError("Illegal invocation");
    const context = "Failed to execute 'decode' on 'TextDecoder'";
    let bytes = input === undefined ? new Uint8Array(0) : webidl.toBufferSourceBytes(input, context);
    const stream = !!webidl.toDictionary(options, context).stream;

    if (!this.#streaming) {
      this.#pending = null;
      this.#bomSeen = false;
    }
    this.#streaming = stream;
    if (this.#pending !== null) {
      const joined = new Uint8Array(this.#pending.length + bytes.length);
      joined.set(this.#pending, 0);
      joined.set(bytes, this.#pending.length);
      bytes = joined;
      this.#pending = null;
    }
    if (stream) {
      const tail = incompleteTailLength(bytes);
      if (tail > 0) {
        this.#pending = bytes.slice(bytes.length - tail);  // a copy: the caller may reuse its buffer
        bytes = bytes.subarray(0, bytes.length - tail);
      }
    }

    let text;
    try {
      text = bytes.length === 0 ? "" : native.utf8Decode(bytes, this.#fatal);
    } catch (error) {
      // A fatal error ends the stream: the next decode() starts afresh.
      this.#pending = null;
      this.#bomSeen = false;
      this.#streaming = false;
      throw error;
    }
    if (!this.#ignoreBOM && !this.#bomSeen && text.length > 0) {
      this.#bomSeen = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return text;
  }
}
webidl.configureInterface(TextDecoder);

// TextEncoderStream and TextDecoderStream (Encoding Standard §7.4 and §7.5): a TransformStream
// (from 26_streams.js, loaded when the first one is made) around the same encoder and decoder.
class TextEncoderStream {
  #transform;
  #pendingHighSurrogate = "";  // a chunk's last code unit, a high surrogate, until the next chunk

  constructor() {
    const { TransformStream } = internal.loadStreams();
    const context = "Failed to execute 'transform' on 'TextEncoderStream'";
    this.#transform = new TransformStream({
      transform: (chunk, controller) => {
        let string = this.#pendingHighSurrogate + webidl.toDOMString(chunk, context);
        this.#pendingHighSurrogate = "";
        const last = string.charCodeAt(string.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) {
          this.#pendingHighSurrogate = string[string.length - 1];
          string = string.slice(0, -1);
        }
        // A high surrogate held back from an earlier chunk and not followed by a low one becomes
        // U+FFFD here, as utf8Encode does with every lone surrogate.
        if (string.length > 0) controller.enqueue(native.utf8Encode(string));
      },
      flush: (controller) => {
        if (this.#pendingHighSurrogate !== "") controller.enqueue(new Uint8Array([0xef, 0xbf, 0xbd]));
      },
    });
  }

  static {
    internal.isTextEncoderStream = (value) => value !== null && typeof value === "object" && #transform in value;
  }

  get encoding() {
    if (!(#transform in this)) throw new TypeError("Illegal invocation");
    return "utf-8";
  }

  get readable() {
    if (!(#transform in this)) throw new TypeError("Illegal invocation");
    return this.#transform.readable;
  }

  get writable() {
    if (!(#transform in this)) throw new TypeError("Illegal invocation");
    return this.#transform.writable;
  }
}
webidl.configureInterface(TextEncoderStream);

class TextDecoderStream {
  #decoder;
  #transform;

  constructor(label = "utf-8", options = undefined) {
    // The TextDecoder checks the label and options (and throws what its constructor throws).
    const decoder = new TextDecoder(label, options);
    const { TransformStream } = internal.loadStreams();
    const context = "Failed to execute 'transform' on 'TextDecoderStream'";
    this.#decoder = decoder;
    this.#transform = new TransformStream({
      transform: (chunk, controller) => {
        const text = decoder.decode(webidl.toBufferSourceBytes(chunk, context), { stream: true });
        if (text.length > 0) controller.enqueue(text);
      },
      flush: (controller) => {
        const text = decoder.decode();
        if (text.length > 0) controller.enqueue(text);
      },
    });
  }

  static {
    internal.isTextDecoderStream = (value) => value !== null && typeof value === "object" && #decoder in value;
  }

  get encoding() {
    if (!(#decoder in this)) throw new TypeError("Illegal invocation");
    return this.#decoder.encoding;
  }

  get fatal() {
    if (!(#decoder in this)) throw new TypeError("Illegal invocation");
    return this.#decoder.fatal;
  }

  get ignoreBOM() {
    if (!(#decoder in this)) throw new TypeError("Illegal invocation");
    return this.#decoder.ignoreBOM;
  }

  get readable() {
    if (!(#decoder in this)) throw new TypeError("Illegal invocation");
    return this.#transform.readable;
  }

  get writable() {
    if (!(#decoder in this)) throw new TypeError("Illegal invocation");
    return this.#transform.writable;
  }
}
webidl.configureInterface(TextDecoderStream);

internal.TextEncoder = TextEncoder;
internal.TextDecoder = TextDecoder;
internal.registerPlatformInterface("TextEncoder", internal.isTextEncoder);
internal.registerPlatformInterface("TextDecoder", internal.isTextDecoder);
internal.registerPlatformInterface("TextEncoderStream", internal.isTextEncoderStream);
internal.registerPlatformInterface("TextDecoderStream", internal.isTextDecoderStream);
internal.setInspectFields(TextEncoder, () => ({ encoding: "utf-8" }));
internal.setInspectFields(TextDecoder, (decoder) => ({ encoding: "utf-8", fatal: decoder.fatal, ignoreBOM: decoder.ignoreBOM }));
internal.setInspectFields(TextEncoderStream, (stream) => ({ encoding: "utf-8", readable: stream.readable, writable: stream.writable }));
internal.setInspectFields(TextDecoderStream, (stream) => ({
  encoding: "utf-8", fatal: stream.fatal, ignoreBOM: stream.ignoreBOM, readable: stream.readable, writable: stream.writable,
}));

internal.defineGlobal("TextEncoder", TextEncoder);
internal.defineGlobal("TextDecoder", TextDecoder);
internal.defineGlobal("TextEncoderStream", TextEncoderStream);
internal.defineGlobal("TextDecoderStream", TextDecoderStream);
