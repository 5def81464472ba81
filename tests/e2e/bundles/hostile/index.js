// Each route misbehaves in its own way; the node must end that event (or isolate), log it, and
// keep serving.
const attacks = {
  "/loop": () => { while (true) {} },
  "/recursion": () => { const f = () => f() + 1; return f(); },
  "/array": () => { const a = []; while (true) a.push({ x: a.length, s: "padding".repeat(4) }); },
  "/alloc1g": () => "x".repeat(1 << 30),
  "/alloc1g-array": () => new Array(134217728).fill({}),
  "/buffers2g": () => { const keep = []; for (let i = 0; i < 20; i++) keep.push(new ArrayBuffer(100 * 1024 * 1024)); return keep.length; },
  "/fill": () => new Array(2e8).fill(1.5),
  "/promise-loop": async () => { for (;;) await null; },
  "/timer-loop": () => { setTimeout(() => { while (true) {} }, 0); return "scheduled"; },
  "/unhandled": () => { Promise.reject(new Error("nobody listens")); return "ok"; },
};

let served = 0;
export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === "/ok") return new Response(`ok ${++served}`);
    if (pathname === "/busy") {
      // Holds the shard (well within the CPU limit) so that requests sent meanwhile arrive together.
      const until = Date.now() + 300;
      while (Date.now() < until) {}
      return new Response("done");
    }
    const attack = attacks[pathname];
    if (!attack) return new Response("not found", { status: 404 });
    const result = await attack();
    return new Response(String(result));
  },
};
