// `performance` (W3C High Resolution Time): now(), timeOrigin and toJSON(). User Timing
// (mark/measure) is not provided, so those members do not exist rather than misbehave.
// Exports: internal.Performance.

const { webidl, EventTarget } = internal;

const constructorKey = {};

class Performance extends EventTarget {
  #brand = true;

  constructor(key = undefined) {
    if (key !== constructorKey) throw new TypeError("Illegal constructor");
    super();
  }

  static {
    internal.isPerformance = (value) => value !== null && typeof value === "object" && #brand in value;
  }

  // Milliseconds since this context's time origin: monotonic, fractional.
  now() {
    if (!(#brand in this)) throw new TypeError("Illegal invocation");
    return native.now();
  }

  get timeOrigin() {
    if (!(#brand in this)) throw new TypeError("Illegal invocation");
    return native.timeOrigin;
  }

  toJSON() {
    if (!(#brand in this)) throw new TypeError("Illegal invocation");
    return { timeOrigin: native.timeOrigin };
  }
}
webidl.configureInterface(Performance);

const performance = new Performance(constructorKey);

internal.Performance = Performance;
internal.registerPlatformInterface("Performance", internal.isPerformance);
internal.setInspectFields(Performance, () => ({ timeOrigin: native.timeOrigin }));
internal.defineGlobal("Performance", Performance);
internal.defineGlobal("performance", performance);
