import { assert, assertEquals, assertThrows } from "./assert.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const tests = {
  "timers fire in deadline order, ties in scheduling order": async () => {
    const order = [];
    setTimeout(() => order.push("b"), 20);
    setTimeout(() => order.push("a"), 5);
    setTimeout(() => order.push("c1"), 20);
    setTimeout(() => order.push("zero"), 0);
    await sleep(40);
    assertEquals(order, ["zero", "a", "b", "c1"]);
  },
  "microtasks run between timer callbacks": async () => {
    const order = [];
    setTimeout(() => { order.push("t1"); Promise.resolve().then(() => order.push("m1")); }, 0);
    setTimeout(() => order.push("t2"), 0);
    await sleep(10);
    assertEquals(order, ["t1", "m1", "t2"]);
  },
  "clearTimeout cancels, clearInterval stops": async () => {
    let fired = false;
    const id = setTimeout(() => { fired = true; }, 5);
    clearTimeout(id);
    let ticks = 0;
    const interval = setInterval(() => { if (++ticks === 3) clearInterval(interval); }, 2);
    await sleep(40);
    assertEquals(fired, false);
    assertEquals(ticks, 3);
  },
  "arguments are passed and ids are positive integers": async () => {
    let got;
    const id = setTimeout((a, b) => { got = [a, b]; }, 0, 1, "x");
    assert(Number.isInteger(id) && id > 0);
    await sleep(5);
    assertEquals(got, [1, "x"]);
  },
  "a throwing callback does not stop later timers": async () => {
    let ran = false;
    setTimeout(() => { throw new Error("boom"); }, 0);
    setTimeout(() => { ran = true; }, 0);
    await sleep(5);
    assert(ran);
  },
  "many timers with mixed delays fire in (deadline, scheduling) order": async () => {
    // A timer's deadline is when it was scheduled plus its delay. The loop below can take over a
    // millisecond, or be preempted anywhere (also between a clock read and the setTimeout call),
    // so each deadline is known only to lie between the clock read just before its setTimeout
    // and the one just after: a pair fired out of order is one whose intervals cannot overlap.
    const fired = [];
    const timers = [];
    const base = performance.now();
    for (let i = 0; i < 300; i++) {
      const delay = (i * 7919) % 23;
      const before = performance.now();
      setTimeout(() => fired.push(i), delay);
      timers.push({ i, delay, earliest: before + delay, latest: performance.now() + delay });
    }
    // A timer cancelled from inside another callback never runs.
    const victim = setTimeout(() => fired.push("victim"), 15);
    setTimeout(() => clearTimeout(victim), 1);
    await sleep(60);
    assertEquals([...fired].sort((a, b) => a - b), timers.map((t) => t.i));  // each once, no victim
    for (let k = 1; k < fired.length; k++) {
      const a = timers[fired[k - 1]], b = timers[fired[k]];
      if (a.delay === b.delay) assert(a.i < b.i, `same delay ${a.delay}: ${a.i} fired after ${b.i}`);
      assert(a.earliest <= b.latest, `${a.i} (deadline >= ${a.earliest}) fired before ${b.i} (deadline <= ${b.latest})`);
    }
    assert(performance.now() - base >= 22);
  },
  "old timers stay clearable while thousands of later ones come and go": async () => {
    // The id table slides past ended timers; a long-lived one must still be found by clear*().
    let ticks = 0;
    const interval = setInterval(() => ticks++, 1);
    const early = setTimeout(() => { throw new Error("cleared, must not run"); }, 40);
    let fired = 0;
    for (let round = 0; round < 3; round++) {
      const ids = [];
      for (let i = 0; i < 5000; i++) ids.push(setTimeout(() => fired++, 0));
      for (let i = 0; i < ids.length; i += 2) clearTimeout(ids[i]);  // every other one
      await sleep(5);
    }
    assertEquals(fired, 7500);
    clearTimeout(early);
    clearTimeout(early);  // twice: nothing
    clearTimeout(-1);
    clearTimeout(1e15);
    clearTimeout(0.5);
    await sleep(10);
    const seen = ticks;
    assert(seen > 0);
    clearInterval(interval);
    await sleep(10);
    assertEquals(ticks, seen, "the interval stopped");
    await sleep(40);  // `early` would have fired by now
  },
  "thousands of timers keep their order and each can be cleared": async () => {
    // Timers sit in chunks of slots: lists and the id table cross many chunk boundaries here.
    const fired = [];
    const ids = [];
    for (let i = 0; i < 3000; i++) ids.push(setTimeout(() => fired.push(i), i % 2));  // two lists
    for (let i = 0; i < ids.length; i++) if (i % 7 === 0 || (i > 1020 && i < 1030)) clearTimeout(ids[i]);
    await sleep(20);
    const expected = (delay) => [...ids.keys()].filter((i) => i % 2 === delay && i % 7 !== 0 && !(i > 1020 && i < 1030));
    assertEquals(fired.filter((i) => i % 2 === 0), expected(0));
    assertEquals(fired.filter((i) => i % 2 === 1), expected(1));
  },
  "an interval cleared inside its own callback stops": async () => {
    let count = 0;
    const id = setInterval(() => { count++; clearInterval(id); }, 0);
    await sleep(20);
    assertEquals(count, 1);
  },
  "timers scheduled during a turn run in a later turn, after microtasks": async () => {
    const order = [];
    setTimeout(() => {
      order.push("a");
      setTimeout(() => order.push("c"), 0);
      Promise.resolve().then(() => order.push("micro"));
    }, 0);
    setTimeout(() => order.push("b"), 0);
    await sleep(10);
    assertEquals(order, ["a", "micro", "b", "c"]);
  },
  "string callbacks are refused": () => {
    assertThrows(() => setTimeout("1+1", 0), TypeError, "code generation from strings");
  },
  "queueMicrotask runs before timers": async () => {
    const order = [];
    setTimeout(() => order.push("timer"), 0);
    queueMicrotask(() => order.push("micro"));
    await sleep(5);
    assertEquals(order, ["micro", "timer"]);
    assertThrows(() => queueMicrotask(1), TypeError);
  },
  "eval and new Function are disabled": () => {
    assertThrows(() => eval("1"), EvalError);
    assertThrows(() => new Function("return 1"), EvalError);
  },
  "URL and URLSearchParams follow WHATWG": () => {
    const url = new URL("../b?x=1#h", "https://EXAMPLE.com:443/a/c");
    assertEquals(url.href, "https://example.com/b?x=1#h");
    assertEquals(url.searchParams.get("x"), "1");
    assertEquals(new URL("http://münchen.de/").hostname, "xn--mnchen-3ya.de");
    assertThrows(() => new URL("not a url"), TypeError);
    const params = new URLSearchParams("a=1&b=2&a=3");
    assertEquals(params.getAll("a"), ["1", "3"]);
    params.sort();
    assertEquals(params.toString(), "a=1&a=3&b=2");
  },
};
