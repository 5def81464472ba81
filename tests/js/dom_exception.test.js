import { assert, assertEquals, assertThrows } from "./assert.js";

export const tests = {
  "name, message and code come from the constructor and the legacy table": () => {
    const e = new DOMException("went away", "AbortError");
    assertEquals(e.name, "AbortError");
    assertEquals(e.message, "went away");
    assertEquals(e.code, 20);
    assertEquals(new DOMException("x", "NotFoundError").code, 8);
    assertEquals(new DOMException("x", "DataCloneError").code, 25);
    assertEquals(new DOMException("x", "QuotaExceededError").code, 22);
    assertEquals(new DOMException("x", "TimeoutError").code, 23);
    assertEquals(new DOMException("x", "InvalidCharacterError").code, 5);
  },

  "names outside the legacy table have code 0": () => {
    assertEquals(new DOMException("x", "NotReadableError").code, 0);
    assertEquals(new DOMException("x", "OperationError").code, 0);
    assertEquals(new DOMException("x", "DataError").code, 0);
    assertEquals(new DOMException("x", "made up").code, 0);
  },

  "defaults: empty message, name Error": () => {
    const e = new DOMException();
    assertEquals(e.message, "");
    assertEquals(e.name, "Error");
    assertEquals(e.code, 0);
    assertEquals(new DOMException(undefined, undefined).name, "Error");
  },

  "arguments are converted with ToString": () => {
    const e = new DOMException(42, { toString: () => "SyntaxError" });
    assertEquals(e.message, "42");
    assertEquals(e.name, "SyntaxError");
    assertEquals(e.code, 12);
    assertEquals(new DOMException(null).message, "null");
    assertThrows(() => new DOMException(Symbol("s")), TypeError);
  },

  "it is an Error like in browsers": () => {
    const e = new DOMException("boom", "InvalidStateError");
    assert(e instanceof DOMException);
    assert(e instanceof Error);
    assertEquals(Object.getPrototypeOf(DOMException.prototype), Error.prototype);
    assertEquals(Object.prototype.toString.call(e), "[object DOMException]");
    assertEquals(String(e), "InvalidStateError: boom");
  },

  "instances carry a stack that starts with name and message": () => {
    function thrower() { throw new DOMException("deep", "AbortError"); }
    const e = assertThrows(thrower, DOMException);
    assertEquals(typeof e.stack, "string");
    assert(e.stack.startsWith("AbortError: deep"), e.stack);
    assert(e.stack.includes("thrower"), e.stack);
  },

  "legacy code constants on the constructor and the prototype": () => {
    const expected = {
      INDEX_SIZE_ERR: 1, DOMSTRING_SIZE_ERR: 2, HIERARCHY_REQUEST_ERR: 3, WRONG_DOCUMENT_ERR: 4,
      INVALID_CHARACTER_ERR: 5, NO_DATA_ALLOWED_ERR: 6, NO_MODIFICATION_ALLOWED_ERR: 7, NOT_FOUND_ERR: 8,
      NOT_SUPPORTED_ERR: 9, INUSE_ATTRIBUTE_ERR: 10, INVALID_STATE_ERR: 11, SYNTAX_ERR: 12,
      INVALID_MODIFICATION_ERR: 13, NAMESPACE_ERR: 14, INVALID_ACCESS_ERR: 15, VALIDATION_ERR: 16,
      TYPE_MISMATCH_ERR: 17, SECURITY_ERR: 18, NETWORK_ERR: 19, ABORT_ERR: 20, URL_MISMATCH_ERR: 21,
      QUOTA_EXCEEDED_ERR: 22, TIMEOUT_ERR: 23, INVALID_NODE_TYPE_ERR: 24, DATA_CLONE_ERR: 25,
    };
    for (const [name, value] of Object.entries(expected)) {
      assertEquals(DOMException[name], value, name);
      assertEquals(DOMException.prototype[name], value, name);
      const descriptor = Object.getOwnPropertyDescriptor(DOMException, name);
      assertEquals(descriptor.writable, false, name);
      assertEquals(descriptor.configurable, false, name);
    }
  },

  "attributes are prototype getters, not own properties": () => {
    const e = new DOMException("m", "NotFoundError");
    assertEquals(Object.keys(e), []);
    assert(!Object.prototype.hasOwnProperty.call(e, "message"));
    for (const name of ["name", "message", "code"]) {
      const descriptor = Object.getOwnPropertyDescriptor(DOMException.prototype, name);
      assertEquals(typeof descriptor.get, "function", name);
      assertEquals(descriptor.enumerable, true, name);
      assertThrows(() => descriptor.get.call({}), TypeError);
    }
  },

  "constructor needs new and the global is WebIDL-shaped": () => {
    assertThrows(() => DOMException("x"), TypeError);
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, "DOMException");
    assertEquals(descriptor.enumerable, false);
    assertEquals(descriptor.writable, true);
    assertEquals(descriptor.configurable, true);
  },

  "subclasses keep the brand": () => {
    class MyError extends DOMException {
      constructor() { super("sub", "SyntaxError"); }
    }
    const e = new MyError();
    assertEquals(e.name, "SyntaxError");
    assertEquals(e.code, 12);
    assert(e instanceof DOMException);
  },

  "DOMExceptions round-trip through structuredClone": () => {
    const clone = structuredClone(new DOMException("copied", "DataCloneError"));
    assert(clone instanceof DOMException);
    assertEquals(clone.name, "DataCloneError");
    assertEquals(clone.message, "copied");
    assertEquals(clone.code, 25);
  },
};
