// GET /?n=1000000: schedules n setTimeout(0) callbacks at once and answers with callbacks/s.
// GET /chain?n=100000: one callback schedules the next (each turn of the loop runs one timer).
export default {
  async fetch(request) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") || 1000000);
    const start = performance.now();
    await new Promise((resolve) => {
      let fired = 0;
      if (url.pathname === "/chain") {
        const next = () => (++fired === n ? resolve() : setTimeout(next, 0));
        setTimeout(next, 0);
      } else {
        const tick = () => { if (++fired === n) resolve(); };
        for (let i = 0; i < n; i++) setTimeout(tick, 0);
      }
    });
    const seconds = (performance.now() - start) / 1000;
    return Response.json({ callbacks: n, seconds, perSecond: Math.round(n / seconds) });
  },
};
