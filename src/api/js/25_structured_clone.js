// structuredClone (HTML). The copy is made by native.structuredClone (V8's ValueSerializer, which
// also moves the ArrayBuffers of options.transfer); this file converts arguments, handles the
// built-in platform objects V8 cannot see into, and turns serializer failures into DOMExceptions.

const { webidl, DOMException } = internal;

function structuredClone(value, options = undefined) {
  const context = "Failed to execute 'structuredClone'";
  webidl.requireArguments(arguments.length, 1, context);
  // StructuredSerializeOptions: { sequence<object> transfer = [] }.
  const transferMember = webidl.toDictionary(options, context).transfer;
  let transfer;
  if (transferMember !== undefined) {
    transfer = webidl.toSequence(transferMember, `${context}: StructuredSerializeOptions: transfer`, (item, index) => {
      if (item === null || (typeof item !== "object" && typeof item !== "function")) {
        throw new TypeError(`${context}: StructuredSerializeOptions: transfer: element ${index} is not an object.`);
      }
      return item;
    });
    if (transfer.length === 0) transfer = undefined;
  }
  // Built-in classes written in JS keep their state in private fields, which V8 would silently
  // drop; [Serializable] ones are copied here, the others refused as browsers do.
  const platform = internal.platformInterfaceOf(value);
  if (platform !== null) {
    if (platform.clone === null) throw new DOMException(`${context}: ${platform.name} object could not be cloned.`, "DataCloneError");
    if (transfer !== undefined) {
      throw new DOMException(`${context}: options.transfer is not supported with a ${platform.name}.`, "DataCloneError");
    }
    return platform.clone(value);
  }
  try {
    return transfer === undefined ? native.structuredClone(value) : native.structuredClone(value, transfer);
  } catch (error) {
    if (error !== null && typeof error === "object" && !internal.isDOMException(error) && error.name === "DataCloneError") {
      throw new DOMException(`${context}: ${error.message}`, "DataCloneError");
    }
    throw error;
  }
}

// URL and URLSearchParams (27_url.js) are recognized once that file ran: the check runs at clone time.
internal.registerPlatformInterface("URL", (value) => internal.isUrlObject(value, "URL"));
internal.registerPlatformInterface("URLSearchParams", (value) => internal.isUrlObject(value, "URLSearchParams"));

internal.structuredClone = structuredClone;
internal.defineGlobal("structuredClone", structuredClone);
