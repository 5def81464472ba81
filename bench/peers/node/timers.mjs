// Node 20 peer of bench/timers: n setTimeout(0) callbacks scheduled at once; prints callbacks/s.
const n = Number(process.argv[2] || 1000000);
const start = performance.now();
let fired = 0;
const tick = () => {
  if (++fired === n) {
    const seconds = (performance.now() - start) / 1000;
    console.log(JSON.stringify({ callbacks: n, seconds, perSecond: Math.round(n / seconds) }));
  }
};
for (let i = 0; i < n; i++) setTimeout(tick, 0);
