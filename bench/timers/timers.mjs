// The peers' side of the timers bench (bench/timers/index.js is mar's): n setTimeout(0)
// callbacks scheduled at once; prints callbacks/s as JSON. Runs unchanged under Node, Deno and Bun.
// Usage: node|bun bench/timers/timers.mjs N    deno run bench/timers/timers.mjs N
const n = Number((globalThis.Deno ? Deno.args[0] : process.argv[2]) || 1000000);
const start = performance.now();
let fired = 0;
const tick = () => {
  if (++fired === n) {
    const seconds = (performance.now() - start) / 1000;
    console.log(JSON.stringify({ callbacks: n, seconds, perSecond: Math.round(n / seconds) }));
  }
};
for (let i = 0; i < n; i++) setTimeout(tick, 0);
