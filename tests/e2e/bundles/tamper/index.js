// User code that tampers with built-ins or hides work in places the runtime touches.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    switch (pathname) {
      case "/ok": return new Response("ok");
      case "/break-then": {
        // Replacing Promise.prototype.then must not stall the runtime's dispatch of async handlers.
        const original = Promise.prototype.then;
        Promise.prototype.then = function () { return this; };
        queueMicrotask(() => { Promise.prototype.then = original; });
        return new Response("then replaced");
      }
      case "/null-body-status": {
        // Defeats the JS-side null-body check; the C++ side must still refuse, not crash.
        const has = Set.prototype.has;
        Set.prototype.has = () => false;
        try { return new Response("body", { status: 204 }); } finally { Set.prototype.has = has; }
      }
      case "/slow": await sleep(400); return new Response("slow done");
      case "/burn": for (;;) {}
      case "/evil-rejection":
        Promise.reject({ toString() { for (;;) {} } });
        return new Response("returned");
      default: return new Response("not found", { status: 404 });
    }
  },
};
