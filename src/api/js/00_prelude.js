// Shared helpers for the built-in JavaScript. Every file in src/api/js is the body of
//   function (native, internal, global) { "use strict"; ... }
// evaluated in file-name order once per context. `native` holds the C++ functions and never
// becomes reachable from user code; `internal` carries values between these files.

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
