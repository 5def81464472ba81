import { assert, assertEquals, assertRejects, assertThrows } from "./assert.js";

const bytes = (...values) => new Uint8Array(values);

// Writes `chunks` into a TextEncoderStream/TextDecoderStream and reads everything it produces.
async function transformAll(stream, chunks) {
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const out = [];
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return out;
      out.push(value);
    }
  })();
  for (const chunk of chunks) writer.write(chunk).catch(() => {});
  writer.close().catch(() => {});
  return reading;
}
const concat = (arrays) => bytes(...arrays.flatMap((a) => [...a]));

export const tests = {
  "TextEncoder encodes UTF-8": () => {
    const encoder = new TextEncoder();
    assertEquals(encoder.encoding, "utf-8");
    assertEquals(encoder.encode("a\u00e9\u20ac\ud83d\ude00"), bytes(0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80));
    assertEquals(encoder.encode(), bytes());
    assertEquals(encoder.encode(undefined), bytes());
    assertEquals(encoder.encode(""), bytes());
    assertEquals(encoder.encode(12), bytes(0x31, 0x32));
    assertEquals(encoder.encode(null), bytes(0x6e, 0x75, 0x6c, 0x6c));
    assert(encoder.encode("x") instanceof Uint8Array);
  },

  "lone surrogates become U+FFFD": () => {
    const encoder = new TextEncoder();
    assertEquals(encoder.encode("\ud800"), bytes(0xef, 0xbf, 0xbd));
    assertEquals(encoder.encode("a\udc00b"), bytes(0x61, 0xef, 0xbf, 0xbd, 0x62));
    assertEquals(encoder.encode("\ude00\ud83d"), bytes(0xef, 0xbf, 0xbd, 0xef, 0xbf, 0xbd));
  },

  "encode refuses symbols": () => {
    assertThrows(() => new TextEncoder().encode(Symbol("s")), TypeError);
  },

  "encodeInto reports read and written without splitting code points": () => {
    const encoder = new TextEncoder();
    const target = new Uint8Array(5);
    assertEquals(encoder.encodeInto("a\u20acb", target), { read: 3, written: 5 });
    assertEquals(target, bytes(0x61, 0xe2, 0x82, 0xac, 0x62));
    const small = new Uint8Array(4);
    assertEquals(encoder.encodeInto("ab\ud83d\ude00", small), { read: 2, written: 2 });
    const exact = new Uint8Array(6);
    assertEquals(encoder.encodeInto("ab\ud83d\ude00", exact), { read: 4, written: 6 });
    const view = new Uint8Array(new ArrayBuffer(8), 2, 3);
    assertEquals(encoder.encodeInto("xyz!", view), { read: 3, written: 3 });
    assertEquals(new Uint8Array(view.buffer), bytes(0, 0, 0x78, 0x79, 0x7a, 0, 0, 0));
  },

  "encodeInto needs a Uint8Array": () => {
    const encoder = new TextEncoder();
    assertThrows(() => encoder.encodeInto("a"), TypeError);
    assertThrows(() => encoder.encodeInto("a", new Uint16Array(4)), TypeError);
    assertThrows(() => encoder.encodeInto("a", new ArrayBuffer(4)), TypeError);
    assertThrows(() => encoder.encodeInto("a", [0, 0]), TypeError);
    assertEquals(encoder.encodeInto("a", new Uint8Array(new SharedArrayBuffer(2))), { read: 1, written: 1 });
  },

  "TextDecoder labels for UTF-8": () => {
    for (const label of ["utf-8", "UTF-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8", " \t\n\f\rUtF-8\r ", "Utf8"]) {
      assertEquals(new TextDecoder(label).encoding, "utf-8", JSON.stringify(label));
    }
    assertEquals(new TextDecoder().encoding, "utf-8");
    assertEquals(new TextDecoder(undefined).encoding, "utf-8");
  },

  "other encodings are valid labels that mar does not support": () => {
    for (const [label, encoding] of [["latin1", "windows-1252"], ["ascii", "windows-1252"], ["utf-16le", "UTF-16LE"], ["utf-16", "UTF-16LE"], ["Shift_JIS", "Shift_JIS"], ["gbk", "GBK"]]) {
      const error = assertThrows(() => new TextDecoder(label), RangeError, "not supported by mar");
      assert(error.message.includes(encoding), error.message);
    }
  },

  "unknown labels and the replacement encoding are invalid": () => {
    for (const label of ["utf-7", "utf\u00a08", "\u00a0utf-8", "", "replacement", "iso-2022-kr", "hz-gb-2312", "unicode-1-1-utf-8x", "utf-8\v"]) {
      const error = assertThrows(() => new TextDecoder(label), RangeError);
      assert(!error.message.includes("not supported by mar"), `${JSON.stringify(label)}: ${error.message}`);
    }
    assertThrows(() => new TextDecoder("utf-8", 5), TypeError);
  },

  "options are reflected": () => {
    const plain = new TextDecoder();
    assertEquals([plain.fatal, plain.ignoreBOM], [false, false]);
    const set = new TextDecoder("utf-8", { fatal: 1, ignoreBOM: "yes" });
    assertEquals([set.fatal, set.ignoreBOM], [true, true]);
  },

  "decodes every BufferSource": () => {
    const decoder = new TextDecoder();
    const data = bytes(0x68, 0x69, 0x21);
    assertEquals(decoder.decode(data), "hi!");
    assertEquals(decoder.decode(data.buffer), "hi!");
    assertEquals(decoder.decode(new DataView(data.buffer, 1)), "i!");
    assertEquals(decoder.decode(new Uint16Array([0x6968])), "hi");
    assertEquals(decoder.decode(new Uint8Array(data.buffer, 1, 1)), "i");
    const shared = new Uint8Array(new SharedArrayBuffer(2));
    shared.set([0x6f, 0x6b]);
    assertEquals(decoder.decode(shared), "ok");
    assertEquals(decoder.decode(shared.buffer), "ok");
    assertEquals(decoder.decode(), "");
    assertEquals(decoder.decode(undefined), "");
    assertThrows(() => decoder.decode("text"), TypeError);
    assertThrows(() => decoder.decode([1, 2]), TypeError);
    assertThrows(() => decoder.decode(null), TypeError);
  },

  "invalid input becomes U+FFFD (maximal subparts)": () => {
    const decoder = new TextDecoder();
    assertEquals(decoder.decode(bytes(0xff)), "\ufffd");
    assertEquals(decoder.decode(bytes(0x61, 0xc3)), "a\ufffd");
    assertEquals(decoder.decode(bytes(0xe2, 0x82, 0x61)), "\ufffda");
    assertEquals(decoder.decode(bytes(0xed, 0xa0, 0x80)), "\ufffd\ufffd\ufffd");
    assertEquals(decoder.decode(bytes(0xf0, 0x9f, 0x98)), "\ufffd");
    assertEquals(decoder.decode(bytes(0xc0, 0xaf)), "\ufffd\ufffd");
  },

  "the BOM is removed once at the start unless ignoreBOM": () => {
    const withBom = bytes(0xef, 0xbb, 0xbf, 0x61, 0xef, 0xbb, 0xbf);
    assertEquals(new TextDecoder().decode(withBom), "a\ufeff");
    assertEquals(new TextDecoder("utf-8", { ignoreBOM: true }).decode(withBom), "\ufeffa\ufeff");
    const decoder = new TextDecoder();
    assertEquals(decoder.decode(bytes(0xef, 0xbb, 0xbf)), "");
    assertEquals(decoder.decode(bytes(0xef, 0xbb, 0xbf, 0x62)), "b", "each non-streaming call starts afresh");
  },

  "fatal decoding throws a TypeError": () => {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    assertThrows(() => decoder.decode(bytes(0x61, 0xff)), TypeError);
    assertThrows(() => decoder.decode(bytes(0xed, 0xa0, 0x80)), TypeError);
    assertEquals(decoder.decode(bytes(0x6f, 0x6b)), "ok", "the decoder is usable after an error");
  },

  "streaming keeps a multi-byte sequence split across chunks": () => {
    const decoder = new TextDecoder();
    const euro = [0xe2, 0x82, 0xac];
    assertEquals(decoder.decode(bytes(0x61, euro[0]), { stream: true }), "a");
    assertEquals(decoder.decode(bytes(euro[1]), { stream: true }), "");
    assertEquals(decoder.decode(bytes(euro[2], 0x62), { stream: true }), "\u20acb");
    const emoji = [0xf0, 0x9f, 0x98, 0x80];
    for (let split = 1; split < 4; split++) {
      const d = new TextDecoder();
      const first = d.decode(new Uint8Array(emoji.slice(0, split)), { stream: true });
      const second = d.decode(new Uint8Array(emoji.slice(split)));
      assertEquals(first + second, "\ud83d\ude00", `split at ${split}`);
    }
  },

  "streaming byte by byte matches decoding at once": () => {
    const text = "h\u00e9llo \u20ac \ud83d\ude00 \u4e16\u754c";
    const encoded = new TextEncoder().encode(text);
    const decoder = new TextDecoder();
    let out = "";
    for (const byte of encoded) out += decoder.decode(bytes(byte), { stream: true });
    out += decoder.decode();
    assertEquals(out, text);
  },

  "an incomplete sequence at the end of a stream becomes U+FFFD on flush": () => {
    const decoder = new TextDecoder();
    assertEquals(decoder.decode(bytes(0x61, 0xe2, 0x82), { stream: true }), "a");
    assertEquals(decoder.decode(), "\ufffd");
    assertEquals(decoder.decode(bytes(0x62)), "b", "the flush reset the decoder");
    const fatal = new TextDecoder("utf-8", { fatal: true });
    assertEquals(fatal.decode(bytes(0xf0, 0x9f), { stream: true }), "");
    assertThrows(() => fatal.decode(), TypeError);
  },

  "invalid prefixes are not held back while streaming": () => {
    const decoder = new TextDecoder();
    assertEquals(decoder.decode(bytes(0xe0, 0x80), { stream: true }), "\ufffd\ufffd");
    assertEquals(decoder.decode(bytes(0xed, 0xa0), { stream: true }), "\ufffd\ufffd");
    assertEquals(decoder.decode(bytes(0xf4, 0x90), { stream: true }), "\ufffd\ufffd");
    assertEquals(decoder.decode(bytes(0xf0, 0x90), { stream: true }), "");
    assertEquals(decoder.decode(bytes(0x80, 0x80)), "\ud800\udc00");
  },

  "a BOM split across chunks is still removed": () => {
    const decoder = new TextDecoder();
    assertEquals(decoder.decode(bytes(0xef), { stream: true }), "");
    assertEquals(decoder.decode(bytes(0xbb), { stream: true }), "");
    assertEquals(decoder.decode(bytes(0xbf, 0x68, 0x69), { stream: true }), "hi");
    assertEquals(decoder.decode(bytes(0xef, 0xbb, 0xbf), { stream: true }), "\ufeff", "only the first BOM goes");
    assertEquals(decoder.decode(), "");
    assertEquals(decoder.decode(bytes(0xef, 0xbb, 0xbf, 0x41)), "A", "a new stream removes its BOM again");
  },

  "the chunk buffer can be reused after a streaming call": () => {
    const decoder = new TextDecoder();
    const chunk = bytes(0x61, 0xe2);
    assertEquals(decoder.decode(chunk, { stream: true }), "a");
    chunk.set([0x82, 0xac]);
    assertEquals(decoder.decode(chunk), "\u20ac");
  },

  "TextEncoderStream encodes chunks, surrogate pairs split across them included": async () => {
    const stream = new TextEncoderStream();
    assertEquals(stream.encoding, "utf-8");
    assert(stream.readable instanceof ReadableStream && stream.writable instanceof WritableStream);
    const out = await transformAll(stream, ["a", "", "\ud83d", "\ude00b", 12, "\ud800"]);
    assert(out.every((chunk) => chunk instanceof Uint8Array), "Uint8Array chunks");
    assert(out.every((chunk) => chunk.length > 0), "no empty chunks");
    assertEquals(concat(out), bytes(0x61, 0xf0, 0x9f, 0x98, 0x80, 0x62, 0x31, 0x32, 0xef, 0xbf, 0xbd));
    const lone = await transformAll(new TextEncoderStream(), ["\ud800", "x"]);
    assertEquals(concat(lone), bytes(0xef, 0xbf, 0xbd, 0x78), "a high surrogate followed by a non-surrogate");
  },

  "TextEncoderStream errors on a Symbol chunk": async () => {
    const stream = new TextEncoderStream();
    await assertRejects(() => transformAll(stream, [Symbol("s")]), TypeError);
  },

  "TextDecoderStream decodes chunks with sequences and the BOM split across them": async () => {
    const stream = new TextDecoderStream();
    assertEquals([stream.encoding, stream.fatal, stream.ignoreBOM], ["utf-8", false, false]);
    const out = await transformAll(stream, [bytes(0xef, 0xbb), bytes(0xbf, 0x61, 0xe2), bytes(0x82, 0xac).buffer, new DataView(bytes(0xf0).buffer)]);
    assertEquals(out.join(""), "a\u20ac\ufffd");
    assert(out.every((chunk) => typeof chunk === "string" && chunk.length > 0), "non-empty string chunks");
    const kept = await transformAll(new TextDecoderStream("utf8", { ignoreBOM: true }), [bytes(0xef, 0xbb, 0xbf, 0x41)]);
    assertEquals(kept.join(""), "\ufeffA");
  },

  "TextDecoderStream checks its label, its chunks and, when fatal, the bytes": async () => {
    assertThrows(() => new TextDecoderStream("no-such-label"), RangeError);
    assertThrows(() => new TextDecoderStream("latin1"), RangeError);
    assertEquals(new TextDecoderStream("utf-8", { fatal: true }).fatal, true);
    await assertRejects(() => transformAll(new TextDecoderStream(), ["not bytes"]), TypeError);
    await assertRejects(() => transformAll(new TextDecoderStream("utf-8", { fatal: true }), [bytes(0x61, 0xff)]), TypeError);
    await assertRejects(() => transformAll(new TextDecoderStream("utf-8", { fatal: true }), [bytes(0x61, 0xe2)]), TypeError);
  },

  "the stream classes pipe and are WebIDL-shaped": async () => {
    const piped = new ReadableStream({
      start(controller) {
        controller.enqueue("h\u00e9");
        controller.enqueue("llo");
        controller.close();
      },
    }).pipeThrough(new TextEncoderStream()).pipeThrough(new TextDecoderStream());
    let text = "";
    for await (const chunk of piped) text += chunk;
    assertEquals(text, "h\u00e9llo");
    assertEquals(Object.prototype.toString.call(new TextEncoderStream()), "[object TextEncoderStream]");
    assertEquals(Object.prototype.toString.call(new TextDecoderStream()), "[object TextDecoderStream]");
    assertEquals(Object.keys(new TextDecoderStream()), []);
    assertThrows(() => Object.getOwnPropertyDescriptor(TextEncoderStream.prototype, "readable").get.call({}), TypeError);
    assertThrows(() => Object.getOwnPropertyDescriptor(TextDecoderStream.prototype, "encoding").get.call(new TextEncoderStream()), TypeError);
    assertThrows(() => structuredClone(new TextEncoderStream()), DOMException);
    assertEquals(TextDecoderStream.length, 0);
  },

  "interfaces are WebIDL-shaped": () => {
    assertEquals(Object.prototype.toString.call(new TextEncoder()), "[object TextEncoder]");
    assertEquals(Object.prototype.toString.call(new TextDecoder()), "[object TextDecoder]");
    assertEquals(Object.keys(new TextDecoder()), []);
    assertThrows(() => TextDecoder.prototype.decode.call({}, bytes()), TypeError);
    assertThrows(() => Object.getOwnPropertyDescriptor(TextEncoder.prototype, "encoding").get.call({}), TypeError);
    assertEquals(TextEncoder.prototype.encodeInto.length, 2);
    assertEquals(TextDecoder.length, 0);
  },
};
