// Streaming both ways, for tests/e2e/test_http_streaming.py.
//   /echo              the request body, streamed straight back (new Response(request.body))
//   /download?bytes=N  N bytes made in JS by a pull()-driven ReadableStream; chunk k (64 KiB)
//                      is filled with the byte k % 256
//   /produced          how many bytes /download has produced so far in this isolate
//   /text, /bytes      the body read whole with request.text() / arrayBuffer(): "LENGTH SHA256"
//   /count             the body read chunk by chunk: "BYTES"
//   /ignore            answers without reading the body
//   /small             "ok"
//   /say?w=WORD        WORD
const CHUNK = 64 * 1024;
let produced = 0;

function download(total) {
  let sent = 0;
  let index = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const size = Math.min(CHUNK, total - sent);
      controller.enqueue(new Uint8Array(size).fill(index++ % 256));
      sent += size;
      produced += size;
    },
  }, { highWaterMark: 0 });
}

async function sha256(buffer) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buffer));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/echo":
        return new Response(request.body, { headers: { "content-type": "application/octet-stream" } });
      case "/download":
        return new Response(download(Number(url.searchParams.get("bytes"))), {
          headers: { "content-type": "application/octet-stream", "x-total": url.searchParams.get("bytes") },
        });
      case "/produced":
        return new Response(String(produced));
      case "/text": {
        const text = await request.text();
        return new Response(`${text.length} ${await sha256(new TextEncoder().encode(text))}`);
      }
      case "/bytes": {
        const buffer = await request.arrayBuffer();
        return new Response(`${buffer.byteLength} ${await sha256(buffer)}`);
      }
      case "/count": {
        const reader = request.body.getReader();
        let total = 0;
        for (let r = await reader.read(); !r.done; r = await reader.read()) total += r.value.byteLength;
        return new Response(String(total));
      }
      case "/ignore":
        return new Response("ignored");
      case "/small":
        return new Response("ok");
      case "/say":
        return new Response(url.searchParams.get("w"));
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
