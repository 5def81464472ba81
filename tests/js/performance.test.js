import { assert, assertEquals, assertThrows } from "./assert.js";

export const tests = {
  "now() is a monotonic, fractional millisecond clock": () => {
    const first = performance.now();
    assertEquals(typeof first, "number");
    assert(first >= 0, `${first}`);
    let previous = first;
    for (let i = 0; i < 1000; i++) {
      const current = performance.now();
      assert(current >= previous, `${current} < ${previous}`);
      previous = current;
    }
  },

  "now() advances with real time": async () => {
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const elapsed = performance.now() - start;
    assert(elapsed >= 15 && elapsed < 5000, `${elapsed} ms`);
  },

  "timeOrigin is the wall clock at the start of the context": () => {
    const origin = performance.timeOrigin;
    assertEquals(typeof origin, "number");
    const wall = Date.now();
    const estimate = origin + performance.now();
    assert(Math.abs(wall - estimate) < 1000, `Date.now() ${wall} vs timeOrigin + now() ${estimate}`);
    assertEquals(performance.timeOrigin, origin);
  },

  "toJSON serializes timeOrigin": () => {
    assertEquals(performance.toJSON(), { timeOrigin: performance.timeOrigin });
    assertEquals(JSON.parse(JSON.stringify(performance)), { timeOrigin: performance.timeOrigin });
  },

  "Performance is an interface that cannot be constructed": () => {
    assert(performance instanceof Performance);
    assert(performance instanceof EventTarget);
    assertThrows(() => new Performance(), TypeError, "Illegal constructor");
    assertThrows(() => Performance.prototype.now.call({}), TypeError);
    assertThrows(() => Object.getOwnPropertyDescriptor(Performance.prototype, "timeOrigin").get.call({}), TypeError);
    assertEquals(Object.prototype.toString.call(performance), "[object Performance]");
    assertEquals(Object.keys(performance), []);
    const now = performance.now;
    assertThrows(() => now(), TypeError);
  },

  "User Timing is absent rather than half-done": () => {
    for (const name of ["mark", "measure", "clearMarks", "clearMeasures", "getEntries", "getEntriesByName", "getEntriesByType"]) {
      assertEquals(name in performance, false, name);
    }
  },
};
