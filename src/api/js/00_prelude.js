// Shared helpers for the built-in JavaScript. Every file in src/api/js is the body of
//   function (native, internal, global) { "use strict"; ... }
// evaluated in file-name order once per context. `native` holds the C++ functions and never
// becomes reachable from user code; `internal` carries values between these files.

// These files run once, at build time, into mar's start-up snapshot (engine/snapshot.h); every
// context is a copy of the result. So at the top level of a file:
//  - nothing that differs between contexts: the `native` values (C++ pointers, the shard, the
//    time origin) are set on each new context, and the hooks registered here then read them,
//    before `configure`;
//  - no WebAssembly (V8 leaves it out while a snapshot is made): capture it in a hook;
//  - no zero-length ArrayBuffer or typed array: V8 10.2 writes them into a snapshot in a form its
//    GC later crashes on (the build's check of the snapshot fails then).
const instanceHooks = [];
internal.onInstance = (hook) => {
  instanceHooks.push(hook);
};
internal.attachInstance = () => {
  for (const hook of instanceHooks) hook();
};

internal.defineGlobal = (name, value) => {
  // WebIDL: interface objects and namespace members are writable, configurable, not enumerable.
  Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
};

internal.defineGlobalGetter = (name, get) => {
  // A global computed on first use (used for heavyweight built-ins like URL); replaced by its value.
  Object.defineProperty(global, name, {
    configurable: true,
    enumerable: false,
    get() {
      const value = get();
      internal.defineGlobal(name, value);
      return value;
    },
    set(value) {
      internal.defineGlobal(name, value);
    },
  });
};

// Makes a class's prototype look like a WebIDL interface: Symbol.toStringTag and non-enumerable
// methods are already what class syntax gives; this adds the tag.
internal.brand = (klass, tag = klass.name) => {
  Object.defineProperty(klass.prototype, Symbol.toStringTag, { value: tag, configurable: true });
  return klass;
};
