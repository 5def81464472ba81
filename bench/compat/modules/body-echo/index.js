// Request bodies: binary bodies echoed byte for byte (small, over 64 KiB, chunked, empty), the
// request body streamed straight back, and a body's length and SHA-256 in headers.
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");

export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/echo") {
      const body = await request.arrayBuffer();
      return new Response(body, {
        headers: {
          "content-type": request.headers.get("content-type") ?? "application/octet-stream",
          "x-length": String(body.byteLength),
          "x-sha256": hex(await crypto.subtle.digest("SHA-256", body)),
        },
      });
    }
    if (path === "/stream") return new Response(request.body, { headers: { "x-streamed": "yes" } });
    if (path === "/bytes") {
      const bytes = new Uint8Array(await request.arrayBuffer());
      return Response.json({ length: bytes.length, first: [...bytes.slice(0, 8)], last: [...bytes.slice(-8)] });
    }
    if (path === "/none") {
      const body = request.body === null ? null : Object.prototype.toString.call(request.body);
      return Response.json({ method: request.method, body, text: await request.text() });
    }
    return new Response("not found\n", { status: 404 });
  },
};
