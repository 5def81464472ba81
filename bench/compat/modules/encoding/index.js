// TextEncoder and TextDecoder: UTF-8 encoding of every kind of code point (lone surrogates
// included), encodeInto, BOM handling, fatal mode, streaming decode, labels.
import { attempt } from "./lib.js";
const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const codes = (s) => [...s].map((c) => c.codePointAt(0).toString(16));
const bytes = (...b) => new Uint8Array(b);

function encoder() {
  const r = {};
  const enc = new TextEncoder();
  r.encoding = enc.encoding;
  r.ascii = hex(enc.encode("abc"));
  r.multi = hex(enc.encode("\u00e9\u20ac\u{1F600}"));
  r.empty = enc.encode().length;
  r.loneHigh = hex(enc.encode("a\uD800b"));
  r.loneLow = hex(enc.encode("\uDC00"));
  r.nul = hex(enc.encode("\0"));
  r.nonString = hex(enc.encode(123));
  r.isUint8Array = enc.encode("x") instanceof Uint8Array;
  const dest = new Uint8Array(5);
  r.encodeInto = enc.encodeInto("a\u20ac\u{1F600}", dest);
  r.encodeIntoBytes = hex(dest);
  const exact = new Uint8Array(4);
  r.encodeIntoExact = enc.encodeInto("\u{1F600}", exact);
  r.encodeIntoSurrogate = enc.encodeInto("\uD800", new Uint8Array(8));
  return r;
}

function decoder() {
  const r = {};
  const dec = new TextDecoder();
  r.defaults = [dec.encoding, dec.fatal, dec.ignoreBOM];
  r.ascii = dec.decode(bytes(104, 105));
  r.multi = codes(dec.decode(bytes(0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80)));
  r.noArg = dec.decode();
  r.bomStripped = codes(dec.decode(bytes(0xef, 0xbb, 0xbf, 0x41)));
  r.bomKept = codes(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes(0xef, 0xbb, 0xbf, 0x41)));
  r.invalidReplaced = codes(dec.decode(bytes(0x61, 0xff, 0x62, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98)));
  r.overlong = codes(dec.decode(bytes(0xc0, 0xaf, 0xe0, 0x80, 0xaf)));
  r.fatal = attempt(() => new TextDecoder("utf-8", { fatal: true }).decode(bytes(0x61, 0xff)));
  r.fatalOk = new TextDecoder("utf-8", { fatal: true }).decode(bytes(0x61));
  const stream = new TextDecoder();
  const euro = [0xe2, 0x82, 0xac];
  r.streaming = [
    stream.decode(bytes(0x61, euro[0]), { stream: true }),
    stream.decode(bytes(euro[1]), { stream: true }),
    stream.decode(bytes(euro[2], 0x62), { stream: true }),
    stream.decode(bytes(0xf0, 0x9f), { stream: true }),
    codes(stream.decode()),
  ];
  const bomStream = new TextDecoder();
  r.streamingBom = [bomStream.decode(bytes(0xef, 0xbb), { stream: true }), bomStream.decode(bytes(0xbf, 0x41))];
  r.arrayBuffer = dec.decode(bytes(0x6f, 0x6b).buffer);
  r.dataView = dec.decode(new DataView(bytes(0x78, 0x6f, 0x6b).buffer, 1));
  r.subarray = dec.decode(bytes(0x61, 0x62, 0x63, 0x64).subarray(1, 3));
  r.labels = ["utf-8", "UTF8", " unicode-1-1-utf-8 ", "utf-16le", "latin1", "windows-1252"].map((label) =>
    attempt(() => new TextDecoder(label).encoding),
  );
  r.badLabel = attempt(() => new TextDecoder("no-such-encoding"));
  r.replacementLabel = attempt(() => new TextDecoder("iso-2022-kr"));
  r.badInput = attempt(() => dec.decode("string"));
  return r;
}

export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/encoder") return Response.json(encoder());
    if (path === "/decoder") return Response.json(decoder());
    if (path === "/roundtrip") {
      const text = await request.text();
      const encoded = new TextEncoder().encode(text);
      return Response.json({ length: text.length, bytes: encoded.length, back: new TextDecoder().decode(encoded) === text });
    }
    if (path === "/streams") {
      return Response.json({ TextEncoderStream: typeof TextEncoderStream, TextDecoderStream: typeof TextDecoderStream });
    }
    return new Response("not found\n", { status: 404 });
  },
};
