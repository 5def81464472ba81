// `console` (WHATWG Console Standard) and the value printer behind it. Output follows Node's and
// Deno's util.inspect closely (two-space indentation, 80-column lines, depth 4, strings quoted with
// double quotes inside objects), so logs read the same as on those runtimes. Every console call
// writes at most one log record through native.log(level, message).
// Exports: internal.inspect(value, options?) -> string, internal.format(args) -> string.

const { webidl } = internal;

// ---- Brand checks (captured before user code can patch the prototypes) --------------------------
const ObjectToString = Object.prototype.toString;
const hasOwn = Object.prototype.hasOwnProperty;
const propertyIsEnumerable = Object.prototype.propertyIsEnumerable;
const FunctionToString = Function.prototype.toString;
const MapSize = Object.getOwnPropertyDescriptor(Map.prototype, "size").get;
const SetSize = Object.getOwnPropertyDescriptor(Set.prototype, "size").get;
const MapEntries = Map.prototype.entries;
const SetValues = Set.prototype.values;
const WeakMapHas = WeakMap.prototype.has;
const WeakSetHas = WeakSet.prototype.has;
const DateGetTime = Date.prototype.getTime;
const DateToISOString = Date.prototype.toISOString;
const RegExpSource = Object.getOwnPropertyDescriptor(RegExp.prototype, "source").get;
const RegExpToString = RegExp.prototype.toString;
const ErrorToString = Error.prototype.toString;
const NumberValueOf = Number.prototype.valueOf;
const StringValueOf = String.prototype.valueOf;
const BooleanValueOf = Boolean.prototype.valueOf;
const SymbolValueOf = Symbol.prototype.valueOf;
const SymbolToString = Symbol.prototype.toString;
const BigIntValueOf = BigInt.prototype.valueOf;
const DataViewByteLength = Object.getOwnPropertyDescriptor(DataView.prototype, "byteLength").get;
const captureStackTrace = Error.captureStackTrace;
const customInspectSymbol = Symbol.for("nodejs.util.inspect.custom");

function succeeds(check, value) {
  try {
    check.call(value);
    return true;
  } catch {
    return false;
  }
}
const isMap = (value) => succeeds(MapSize, value);
const isSet = (value) => succeeds(SetSize, value);
const isWeakMap = (value) => { try { WeakMapHas.call(value, {}); return true; } catch { return false; } };
const isWeakSet = (value) => { try { WeakSetHas.call(value, {}); return true; } catch { return false; } };
const isDate = (value) => succeeds(DateGetTime, value);
const isRegExp = (value) => value !== RegExp.prototype && succeeds(RegExpSource, value);
const isDataView = (value) => succeeds(DataViewByteLength, value);
const isPromise = (value) => value instanceof Promise;
const isError = (value) => value instanceof Error || ObjectToString.call(value) === "[object Error]";

const kBoxedKinds = ["[object Number]", "[object String]", "[object Boolean]", "[object Symbol]", "[object BigInt]"];
// The primitive inside a Number/String/Boolean/Symbol/BigInt object, as [type, value], or null.
function boxedPrimitive(value) {
  for (const [type, valueOf] of [["Number", NumberValueOf], ["String", StringValueOf], ["Boolean", BooleanValueOf], ["Symbol", SymbolValueOf], ["BigInt", BigIntValueOf]]) {
    try {
      return [type, valueOf.call(value)];
    } catch {
      // not this kind of box
    }
  }
  return null;
}

// ---- Primitives ----------------------------------------------------------------------------------
// Quotes like Deno: double quotes unless the string contains them, then single quotes, then
// backticks; control characters and lone surrogates are escaped.
const kQuotes = ['"', "'", "`"];
const escapeTests = kQuotes.map((quote) => new RegExp(`[\\x00-\\x1f\\x7f-\\x9f\\\\${quote}]|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]`));
const escapeReplacers = escapeTests.map((test) => new RegExp(test.source, "g"));
const kEscapes = { "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", "\v": "\\v", "\\": "\\\\" };

function escapeCharacter(character) {
  const escape = kEscapes[character];
  if (escape !== undefined) return escape;
  const code = character.charCodeAt(0);
  if (code < 0x100 && !kQuotes.includes(character)) return `\\x${code.toString(16).toUpperCase().padStart(2, "0")}`;
  if (code >= 0xd800 && code <= 0xdfff) return `\\u${code.toString(16).toUpperCase()}`;
  return `\\${character}`;
}

function quoteString(string) {
  let quoteIndex = 0;
  if (string.includes('"')) {
    if (!string.includes("'")) quoteIndex = 1;
    else if (!string.includes("`") && !string.includes("${")) quoteIndex = 2;
  }
  const quote = kQuotes[quoteIndex];
  if (!escapeTests[quoteIndex].test(string)) return `${quote}${string}${quote}`;
  return `${quote}${string.replace(escapeReplacers[quoteIndex], escapeCharacter)}${quote}`;
}

function formatNumber(number) {
  return Object.is(number, -0) ? "-0" : `${number}`;
}

function formatPrimitive(ctx, value) {
  switch (typeof value) {
    case "string": {
      let trailer = "";
      if (value.length > ctx.maxStringLength) {
        const remaining = value.length - ctx.maxStringLength;
        value = value.slice(0, ctx.maxStringLength);
        trailer = `... ${remaining} more character${remaining > 1 ? "s" : ""}`;
      }
      return quoteString(value) + trailer;
    }
    case "number": return formatNumber(value);
    case "bigint": return `${value}n`;
    case "symbol": return SymbolToString.call(value);
    default: return String(value);  // boolean, undefined
  }
}

// ---- Objects -------------------------------------------------------------------------------------
const kObjectType = 0;
const kArrayExtrasType = 1;
const kIdentifier = /^[a-zA-Z_][a-zA-Z_0-9]*$/;

function getConstructorName(value) {
  try {
    for (let object = value; object !== null; object = Object.getPrototypeOf(object)) {
      const descriptor = Object.getOwnPropertyDescriptor(object, "constructor");
      if (descriptor !== undefined && typeof descriptor.value === "function" && descriptor.value.name !== "") {
        return descriptor.value.name;
      }
    }
  } catch {
    return "<Complex prototype>";
  }
  return null;
}

function getPrefix(constructor, tag, fallback, size = "") {
  if (constructor === null) {
    if (tag !== "" && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
    return `[${fallback}${size}: null prototype] `;
  }
  if (tag !== "" && constructor !== tag) return `${constructor}${size} [${tag}] `;
  return `${constructor}${size} `;
}

function isArrayIndex(key) {
  if (typeof key !== "string") return false;
  const index = Number(key);
  return index >>> 0 === index && index !== 4294967295 && `${index}` === key;
}

// Own keys to show: enumerable ones (symbols included), or all of them with showHidden.
function getKeys(value, showHidden) {
  const symbols = Object.getOwnPropertySymbols(value);
  if (showHidden) return [...Object.getOwnPropertyNames(value), ...symbols];
  const keys = Object.keys(value);
  for (const symbol of symbols) {
    if (propertyIsEnumerable.call(value, symbol)) keys.push(symbol);
  }
  return keys;
}

function getFunctionBase(value, constructor, tag) {
  let source = "";
  try {
    source = FunctionToString.call(value);
  } catch {
    // a revoked proxy or similar
  }
  if (source.startsWith("class") && /^class[\s{]/.test(source)) {
    const name = (hasOwn.call(value, "name") && value.name) || "(anonymous)";
    let base = `class ${name}`;
    if (constructor !== "Function" && constructor !== null) base += ` [${constructor}]`;
    if (tag !== "" && constructor !== tag) base += ` [${tag}]`;
    if (constructor !== null) {
      const superName = Object.getPrototypeOf(value).name;
      if (superName) base += ` extends ${superName}`;
    } else {
      base += " extends [null prototype]";
    }
    return `[${base}]`;
  }
  let type = "Function";
  const kind = ObjectToString.call(value);
  if (kind === "[object GeneratorFunction]") type = "GeneratorFunction";
  else if (kind === "[object AsyncFunction]") type = "AsyncFunction";
  else if (kind === "[object AsyncGeneratorFunction]") type = "AsyncGeneratorFunction";
  let base = `[${type}`;
  if (constructor === null) base += " (null prototype)";
  base += value.name === "" || typeof value.name !== "string" ? " (anonymous)" : `: ${value.name}`;
  base += "]";
  if (constructor !== type && constructor !== null) base += ` ${constructor}`;
  if (tag !== "" && constructor !== tag) base += ` [${tag}]`;
  return base;
}

function formatError(ctx, error, keys) {
  let stack;
  try {
    stack = error.stack;
  } catch {
    stack = undefined;
  }
  if (typeof stack !== "string" || stack === "") {
    try {
      stack = ErrorToString.call(error);
    } catch {
      stack = "Error";
    }
  }
  // `cause` and AggregateError's `errors` are own but not enumerable; show them anyway.
  for (const key of ["cause", "errors"]) {
    if (hasOwn.call(error, key) && !keys.includes(key) && (key === "cause" || Array.isArray(error.errors))) keys.push(key);
  }
  if (!stack.includes("\n    at")) stack = `[${stack}]`;
  if (ctx.indentationLvl !== 0) stack = stack.replaceAll("\n", `\n${" ".repeat(ctx.indentationLvl)}`);
  return stack;
}

function remainingText(remaining) {
  return `... ${remaining} more item${remaining > 1 ? "s" : ""}`;
}

function formatArray(ctx, value, recurseTimes) {
  const length = value.length;
  const output = [];
  let index = 0;
  while (index < length && output.length < ctx.maxArrayLength) {
    if (!hasOwn.call(value, index)) {
      let end = index + 1;
      while (end < length && !hasOwn.call(value, end)) end++;
      const holes = end - index;
      output.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`);
      index = end;
      continue;
    }
    output.push(formatProperty(ctx, value, recurseTimes, index, kArrayExtrasType));
    index++;
  }
  if (index < length) output.push(remainingText(length - index));
  return output;
}

function formatTypedArray(ctx, value, length, recurseTimes) {
  const shown = Math.min(Math.max(0, ctx.maxArrayLength), length);
  const output = [];
  for (let i = 0; i < shown; i++) {
    const element = value[i];
    output.push(typeof element === "bigint" ? `${element}n` : formatNumber(element));
  }
  if (length > shown) output.push(remainingText(length - shown));
  if (ctx.showHidden) {
    ctx.indentationLvl += 2;
    for (const key of ["BYTES_PER_ELEMENT", "length", "byteLength", "byteOffset", "buffer"]) {
      output.push(`[${key}]: ${formatValue(ctx, value[key], recurseTimes, true)}`);
    }
    ctx.indentationLvl -= 2;
  }
  return output;
}

function formatArrayBuffer(ctx, value) {
  let bytes;
  try {
    bytes = new Uint8Array(value);
  } catch {
    return ["(detached)"];
  }
  const shown = Math.min(ctx.maxArrayLength, bytes.length);
  let hex = "";
  for (let i = 0; i < shown; i++) hex += `${i === 0 ? "" : " "}${bytes[i].toString(16).padStart(2, "0")}`;
  const remaining = bytes.length - shown;
  if (remaining > 0) hex += ` ... ${remaining} more byte${remaining > 1 ? "s" : ""}`;
  return [`[Uint8Contents]: <${hex}>`];
}

function formatSet(ctx, value, recurseTimes) {
  const output = [];
  const size = SetSize.call(value);
  ctx.indentationLvl += 2;
  for (const element of { [Symbol.iterator]: () => SetValues.call(value) }) {
    if (output.length >= ctx.maxArrayLength) break;
    output.push(formatValue(ctx, element, recurseTimes));
  }
  ctx.indentationLvl -= 2;
  if (size > output.length) output.push(remainingText(size - output.length));
  return output;
}

function formatMap(ctx, value, recurseTimes) {
  const output = [];
  const size = MapSize.call(value);
  ctx.indentationLvl += 2;
  for (const [key, element] of { [Symbol.iterator]: () => MapEntries.call(value) }) {
    if (output.length >= ctx.maxArrayLength) break;
    output.push(`${formatValue(ctx, key, recurseTimes)} => ${formatValue(ctx, element, recurseTimes)}`);
  }
  ctx.indentationLvl -= 2;
  if (size > output.length) output.push(remainingText(size - output.length));
  return output;
}

// A promise's state cannot be read from JS; the host may offer native.promiseState(promise) ->
// [state (0 pending, 1 fulfilled, 2 rejected), result].
function formatPromise(ctx, value, recurseTimes) {
  if (typeof native.promiseState !== "function") return ["<unknown>"];
  const [state, result] = native.promiseState(value);
  if (state === 0) return ["<pending>"];
  ctx.indentationLvl += 2;
  const text = formatValue(ctx, result, recurseTimes);
  ctx.indentationLvl -= 2;
  return [state === 2 ? `<rejected> ${text}` : text];
}

function formatProperty(ctx, value, recurseTimes, key, type, descriptor = undefined) {
  if (descriptor === undefined) {
    try {
      descriptor = Object.getOwnPropertyDescriptor(value, key) || { value: value[key], enumerable: true };
    } catch {
      descriptor = { value: undefined, enumerable: true, uninitialized: true };
    }
  }
  let text;
  if (descriptor.uninitialized) {
    text = "<uninitialized>";
  } else if (descriptor.value !== undefined) {
    ctx.indentationLvl += 2;
    text = formatValue(ctx, descriptor.value, recurseTimes);
    ctx.indentationLvl -= 2;
  } else if (descriptor.get !== undefined) {
    text = descriptor.set !== undefined ? "[Getter/Setter]" : "[Getter]";
  } else if (descriptor.set !== undefined) {
    text = "[Setter]";
  } else {
    text = "undefined";
  }
  if (type === kArrayExtrasType) return text;
  let name;
  if (typeof key === "symbol") name = `[${SymbolToString.call(key)}]`;
  else if (key === "__proto__") name = '["__proto__"]';
  else if (descriptor.enumerable === false) name = `[${kIdentifier.test(key) ? key : quoteString(key)}]`;
  else if (kIdentifier.test(key)) name = key;
  else name = quoteString(`${key}`);
  return `${name}: ${text}`;
}

// Node's array grouping: many short entries are laid out in aligned columns.
function groupArrayElements(ctx, output, value) {
  let totalLength = 0;
  let maxLength = 0;
  let outputLength = output.length;
  if (value !== undefined && ctx.maxArrayLength < value.length && outputLength > 0 && output[outputLength - 1].startsWith("... ")) {
    outputLength--;  // the "... more items" entry is not part of the grid
  }
  const separatorSpace = 2;
  const dataLength = [];
  for (let i = 0; i < outputLength; i++) {
    const length = output[i].length;
    dataLength.push(length);
    totalLength += length + separatorSpace;
    if (maxLength < length) maxLength = length;
  }
  const actualMax = maxLength + separatorSpace;
  if (actualMax * 3 + ctx.indentationLvl < ctx.breakLength && (totalLength / actualMax > 5 || maxLength <= 6)) {
    const averageBias = Math.sqrt(actualMax - totalLength / output.length);
    const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
    const columns = Math.min(
      Math.round(Math.sqrt(2.5 * biasedMax * outputLength) / biasedMax),
      Math.floor((ctx.breakLength - ctx.indentationLvl) / actualMax),
      ctx.compact * 4,
      15,
    );
    if (columns <= 1) return output;
    const grouped = [];
    const maxLineLength = [];
    for (let i = 0; i < columns; i++) {
      let lineLength = 0;
      for (let j = i; j < outputLength; j += columns) {
        if (dataLength[j] > lineLength) lineLength = dataLength[j];
      }
      maxLineLength.push(lineLength + separatorSpace);
    }
    let padStart = true;
    if (value !== undefined) {
      for (let i = 0; i < outputLength; i++) {
        if (typeof value[i] !== "number" && typeof value[i] !== "bigint") {
          padStart = false;
          break;
        }
      }
    }
    for (let i = 0; i < outputLength; i += columns) {
      const max = Math.min(i + columns, outputLength);
      let line = "";
      let j = i;
      for (; j < max - 1; j++) {
        const cell = `${output[j]}, `;
        line += padStart ? cell.padStart(maxLineLength[j - i], " ") : cell.padEnd(maxLineLength[j - i], " ");
      }
      line += padStart ? output[j].padStart(maxLineLength[j - i] - separatorSpace, " ") : output[j];
      grouped.push(line);
    }
    for (let i = outputLength; i < output.length; i++) grouped.push(output[i]);
    return grouped;
  }
  return output;
}

function isBelowBreakLength(ctx, output, start, base) {
  let totalLength = output.length + start;
  if (totalLength + output.length > ctx.breakLength) return false;
  for (const entry of output) {
    totalLength += entry.length;
    if (totalLength > ctx.breakLength) return false;
  }
  return base === "" || !base.includes("\n");
}

function reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value) {
  const entries = output.length;
  if (extrasType === kArrayExtrasType && entries > 6) output = groupArrayElements(ctx, output, value);
  // Up to `compact` (3) innermost levels may share a line when they fit in breakLength.
  if (ctx.currentDepth - recurseTimes < ctx.compact && entries === output.length) {
    const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
    if (isBelowBreakLength(ctx, output, start, base)) {
      const joined = output.join(", ");
      if (!joined.includes("\n")) return `${base ? `${base} ` : ""}${braces[0]} ${joined} ${braces[1]}`;
    }
  }
  const indentation = `\n${" ".repeat(ctx.indentationLvl)}`;
  return `${base ? `${base} ` : ""}${braces[0]}${indentation}  ${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
}

function formatValue(ctx, value, recurseTimes, typedArray = false) {
  if (value === null) return "null";
  if (typeof value !== "object" && typeof value !== "function") return formatPrimitive(ctx, value);

  if (ctx.customInspect) {
    let custom;
    try {
      custom = value[customInspectSymbol];
    } catch {
      custom = undefined;
    }
    if (typeof custom === "function" && custom !== inspect) {
      const depth = ctx.depth === null ? null : ctx.depth - recurseTimes;
      const options = { ...ctx.userOptions, depth, stylize: (text) => text };
      const result = Reflect.apply(custom, value, [depth, options, inspect]);
      if (result !== value) {
        if (typeof result !== "string") return formatValue(ctx, result, recurseTimes);
        return result.replaceAll("\n", `\n${" ".repeat(ctx.indentationLvl)}`);
      }
    }
  }

  if (ctx.seen.includes(value)) {
    let index = ctx.circular.get(value);
    if (index === undefined) {
      index = ctx.circular.size + 1;
      ctx.circular.set(value, index);
    }
    return `[Circular *${index}]`;
  }
  return formatRaw(ctx, value, recurseTimes, typedArray);
}

function formatRaw(ctx, value, recurseTimes, typedArray) {
  const constructor = getConstructorName(value);
  let tag = "";
  try {
    const tagValue = value[Symbol.toStringTag];
    // A tag that is an own enumerable property is printed as a key already.
    if (typeof tagValue === "string" && tagValue !== "" &&
        !(ctx.showHidden ? hasOwn : propertyIsEnumerable).call(value, Symbol.toStringTag)) {
      tag = tagValue;
    }
  } catch {
    tag = "";
  }
  let keys;
  let base = "";
  let formatter = () => [];
  let braces;
  let extrasType = kObjectType;
  let fieldsSource = value;  // whose properties `keys` names
  // The built-in tag ("[object Map]", ...) preselects the brand checks, which throw when they fail.
  let kind = "[object Object]";
  try {
    kind = ObjectToString.call(value);
  } catch {
    // a revoked proxy
  }

  const typedArrayKind = webidl.typedArrayName(value);
  if (Array.isArray(value)) {
    keys = getKeys(value, ctx.showHidden).filter((key) => !isArrayIndex(key) && !(key === "length" && !ctx.showHidden));
    const prefix = constructor !== "Array" || tag !== "" ? getPrefix(constructor, tag, "Array", `(${value.length})`) : "";
    braces = [`${prefix}[`, "]"];
    if (value.length === 0 && keys.length === 0) return `${braces[0]}]`;
    extrasType = kArrayExtrasType;
    formatter = formatArray;
  } else if (typedArrayKind !== undefined) {
    keys = getKeys(value, ctx.showHidden).filter((key) => !isArrayIndex(key));
    const length = value.length;
    braces = [`${getPrefix(constructor, tag, typedArrayKind, `(${length})`)}[`, "]"];
    if (length === 0 && keys.length === 0 && !ctx.showHidden) return `${braces[0]}]`;
    formatter = (ctx2, object, depth) => formatTypedArray(ctx2, object, length, depth);
    extrasType = kArrayExtrasType;
  } else if (kind === "[object Set]" && isSet(value)) {
    keys = getKeys(value, ctx.showHidden);
    const prefix = getPrefix(constructor, tag, "Set", `(${SetSize.call(value)})`);
    formatter = formatSet;
    if (SetSize.call(value) === 0 && keys.length === 0) return `${prefix}{}`;
    braces = [`${prefix}{`, "}"];
  } else if (kind === "[object Map]" && isMap(value)) {
    keys = getKeys(value, ctx.showHidden);
    const prefix = getPrefix(constructor, tag, "Map", `(${MapSize.call(value)})`);
    formatter = formatMap;
    if (MapSize.call(value) === 0 && keys.length === 0) return `${prefix}{}`;
    braces = [`${prefix}{`, "}"];
  } else {
    keys = getKeys(value, ctx.showHidden);
    braces = ["{", "}"];
    // A built-in platform object shows its registered fields instead of its (private) state. The
    // fields function throws for a non-instance that merely inherits from one (a subclass prototype).
    let platformFields;
    if (typeof value !== "function" && !isError(value)) {
      const fields = internal.inspectFieldsOf(value);
      try {
        platformFields = fields === undefined ? undefined : fields(value);
      } catch {
        platformFields = undefined;
      }
    }
    if (platformFields !== undefined) {
      fieldsSource = platformFields;
      keys = Object.keys(fieldsSource);
      braces[0] = `${getPrefix(constructor, tag, "Object")}{`;
      if (keys.length === 0) return `${braces[0]}}`;
    } else if (constructor === "Object" && tag === "" && kind !== "[object Arguments]") {
      if (keys.length === 0) return "{}";
    } else if (kind === "[object Arguments]") {
      braces[0] = "[Arguments] [";
      braces[1] = "]";
      keys = keys.filter((key) => !isArrayIndex(key));
      extrasType = kArrayExtrasType;
      formatter = (ctx2, object, depth) => formatArray(ctx2, object, depth);
      if (value.length === 0 && keys.length === 0) return "[Arguments] []";
    } else if (typeof value === "function") {
      base = getFunctionBase(value, constructor, tag);
      keys = keys.filter((key) => key !== "prototype" || ctx.showHidden);
      if (keys.length === 0) return base;
    } else if (kind === "[object RegExp]" && isRegExp(value)) {
      base = RegExpToString.call(value);
      const prefix = getPrefix(constructor, tag, "RegExp");
      if (prefix !== "RegExp ") base = `${prefix}${base}`;
      keys = keys.filter((key) => key !== "lastIndex" || ctx.showHidden);
      if (keys.length === 0) return base;
    } else if (kind === "[object Date]" && isDate(value)) {
      const time = DateGetTime.call(value);
      base = Number.isNaN(time) ? "Invalid Date" : DateToISOString.call(value);
      const prefix = getPrefix(constructor, tag, "Date");
      if (prefix !== "Date ") base = `${prefix}${base}`;
      if (keys.length === 0) return base;
    } else if (isError(value)) {
      base = formatError(ctx, value, keys);
      if (keys.length === 0) return base;
    } else if ((kind === "[object ArrayBuffer]" && webidl.isArrayBuffer(value)) ||
               (kind === "[object SharedArrayBuffer]" && webidl.isSharedArrayBuffer(value))) {
      const prefix = getPrefix(constructor, tag, kind.slice(8, -1));
      if (typedArray) return `${prefix}{ byteLength: ${formatNumber(value.byteLength)} }`;
      formatter = formatArrayBuffer;
      braces[0] = `${prefix}{`;
      keys.unshift("byteLength");
    } else if (kind === "[object DataView]" && isDataView(value)) {
      braces[0] = `${getPrefix(constructor, tag, "DataView")}{`;
      keys.unshift("byteLength", "byteOffset", "buffer");
    } else if (kind === "[object Promise]" && isPromise(value)) {
      braces[0] = `${getPrefix(constructor, tag, "Promise")}{`;
      formatter = formatPromise;
    } else if (kind === "[object WeakSet]" && isWeakSet(value)) {
      braces[0] = `${getPrefix(constructor, tag, "WeakSet")}{`;
      formatter = () => ["<items unknown>"];
    } else if (kind === "[object WeakMap]" && isWeakMap(value)) {
      braces[0] = `${getPrefix(constructor, tag, "WeakMap")}{`;
      formatter = () => ["<items unknown>"];
    } else {
      const boxed = kBoxedKinds.includes(kind) ? boxedPrimitive(value) : null;
      if (boxed !== null) {
        const [type, primitive] = boxed;
        if (type === "String") keys = keys.filter((key) => !isArrayIndex(key));
        base = `[${type}${constructor !== type ? ` (${constructor})` : ""}: ${formatPrimitive({ ...ctx, maxStringLength: Infinity }, primitive)}]`;
        if (tag !== "" && tag !== constructor) base += ` [${tag}]`;
        if (keys.length === 0) return base;
      } else {
        if (keys.length === 0) return `${getPrefix(constructor, tag, "Object")}{}`;
        braces[0] = `${getPrefix(constructor, tag, "Object")}{`;
      }
    }
  }

  if (recurseTimes > ctx.depth && ctx.depth !== null) {
    const name = getPrefix(constructor, tag, "Object").slice(0, -1);
    return constructor !== null ? `[${name}]` : name;
  }

  recurseTimes += 1;
  ctx.seen.push(value);
  ctx.currentDepth = recurseTimes;
  let output;
  try {
    output = formatter(ctx, value, recurseTimes);
    for (const key of keys) output.push(formatProperty(ctx, fieldsSource, recurseTimes, key, kObjectType));
  } finally {
    ctx.seen.pop();
  }
  const index = ctx.circular.get(value);
  if (index !== undefined) {
    const reference = `<ref *${index}>`;
    base = base === "" ? reference : `${reference} ${base}`;
  }
  if (ctx.sorted) output.sort();
  return reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value);
}

const kInspectDefaults = {
  depth: 4,
  showHidden: false,
  customInspect: true,
  maxArrayLength: 100,
  maxStringLength: 10000,
  breakLength: 80,
  compact: 3,
  sorted: false,
};

// Renders any value as util.inspect does. Options: depth (null = unlimited), showHidden,
// customInspect, maxArrayLength, maxStringLength, breakLength, compact (a number), sorted.
function inspect(value, options = undefined) {
  const ctx = { ...kInspectDefaults };
  if (options !== null && typeof options === "object") {
    for (const key of Object.keys(kInspectDefaults)) {
      if (options[key] !== undefined) ctx[key] = options[key];
    }
  }
  if (ctx.maxArrayLength === null) ctx.maxArrayLength = Infinity;
  if (ctx.maxStringLength === null) ctx.maxStringLength = Infinity;
  if (typeof ctx.compact !== "number") ctx.compact = ctx.compact === false ? 0 : 3;
  ctx.userOptions = { ...ctx };
  ctx.seen = [];
  ctx.circular = new Map();
  ctx.indentationLvl = 0;
  ctx.currentDepth = 0;
  return formatValue(ctx, value, 0);
}

// ---- Format strings (Console Standard "Formatter", with Node's %j/%o/%O) ------------------------
function stringifyJSON(value) {
  try {
    return `${JSON.stringify(value)}`;
  } catch (error) {
    if (error instanceof TypeError && /circular/i.test(error.message)) return "[Circular]";
    throw error;
  }
}

function hasBuiltInToString(value) {
  let toString;
  try {
    toString = value.toString;
  } catch {
    return true;
  }
  if (typeof toString !== "function") return true;
  // Objects whose toString comes from a built-in prototype are inspected instead of stringified.
  for (let object = value; object !== null; object = Object.getPrototypeOf(object)) {
    if (hasOwn.call(object, "toString")) {
      const constructor = getConstructorName(object);
      return object === Object.prototype || object === Array.prototype || object === Error.prototype ||
        object === Date.prototype || object === RegExp.prototype || object === Function.prototype ||
        object === Object.getPrototypeOf(Uint8Array.prototype) || constructor === null;
    }
  }
  return true;
}

// %parseInt%/%parseFloat% as the Console Standard says, but a log line never fails on a value
// that cannot become a string (a symbol, a null-prototype object): it prints NaN.
function convertOrNaN(parse, argument) {
  try {
    return parse(argument, 10);
  } catch {
    return NaN;
  }
}

function formatSubstitution(specifier, argument) {
  switch (specifier) {
    case "s":
      if (typeof argument === "number") return formatNumber(argument);
      if (typeof argument === "bigint") return `${argument}n`;
      if (typeof argument === "symbol") return SymbolToString.call(argument);
      if (argument === null || (typeof argument !== "object" && typeof argument !== "function") || !hasBuiltInToString(argument)) {
        try {
          return String(argument);
        } catch {
          // e.g. a boxed Symbol, whose toString cannot make a string: inspect it instead
        }
      }
      return inspect(argument, { depth: 0 });
    case "d":
    case "i":
      if (typeof argument === "bigint") return `${argument}n`;
      return formatNumber(convertOrNaN(Number.parseInt, argument));
    case "f":
      return formatNumber(convertOrNaN(Number.parseFloat, argument));
    case "j":
      return stringifyJSON(argument);
    case "o":
      return inspect(argument, { showHidden: true, depth: 4 });
    case "O":
      return inspect(argument);
    case "c":
      return "";  // CSS has no meaning in a log record
    default:
      return undefined;
  }
}

function format(args) {
  const first = args[0];
  let text = "";
  let next = 0;
  if (typeof first === "string") {
    if (args.length === 1) return first;
    next = 1;
    let lastPos = 0;
    for (let i = 0; i < first.length - 1; i++) {
      if (first.charCodeAt(i) !== 37) continue;  // '%'
      const specifier = first[i + 1];
      if (specifier === "%") {
        text += first.slice(lastPos, i + 1);
        lastPos = i + 2;
        i++;
        continue;
      }
      if (next >= args.length) continue;
      const replacement = formatSubstitution(specifier, args[next]);
      if (replacement === undefined) continue;
      text += first.slice(lastPos, i) + replacement;
      lastPos = i + 2;
      next++;
      i++;
    }
    text += first.slice(lastPos);
  }
  for (let join = next > 0; next < args.length; next++, join = true) {
    const value = args[next];
    if (join) text += " ";
    text += typeof value === "string" ? value : inspect(value);
  }
  return text;
}

// ---- console.table --------------------------------------------------------------------------------
const kBox = {
  topLeft: "\u250c", topMiddle: "\u252c", topRight: "\u2510",
  leftMiddle: "\u251c", rowMiddle: "\u253c", rightMiddle: "\u2524",
  bottomLeft: "\u2514", bottomMiddle: "\u2534", bottomRight: "\u2518",
  line: "\u2500", left: "\u2502 ", middle: " \u2502 ", right: " \u2502",
};

function renderRow(row, widths) {
  let out = kBox.left;
  for (let i = 0; i < row.length; i++) {
    const cell = row[i];
    const needed = (widths[i] - cell.length) / 2;
    out += " ".repeat(Math.floor(needed)) + cell + " ".repeat(Math.ceil(needed));
    if (i !== row.length - 1) out += kBox.middle;
  }
  return out + kBox.right;
}

function renderTable(head, columns) {
  const widths = head.map((title) => title.length);
  const rowCount = Math.max(...columns.map((column) => column.length));
  const rows = [];
  for (let i = 0; i < head.length; i++) {
    for (let j = 0; j < rowCount; j++) {
      if (rows[j] === undefined) rows[j] = [];
      const cell = hasOwn.call(columns[i], j) && columns[i][j] !== undefined ? columns[i][j] : "";
      rows[j][i] = cell;
      widths[i] = Math.max(widths[i], cell.length);
    }
  }
  const divider = widths.map((width) => kBox.line.repeat(width + 2));
  let result = `${kBox.topLeft}${divider.join(kBox.topMiddle)}${kBox.topRight}\n${renderRow(head, widths)}\n`;
  result += `${kBox.leftMiddle}${divider.join(kBox.rowMiddle)}${kBox.rightMiddle}\n`;
  for (const row of rows) result += `${renderRow(row, widths)}\n`;
  return result + `${kBox.bottomLeft}${divider.join(kBox.bottomMiddle)}${kBox.bottomRight}`;
}

function tableCell(value) {
  const depth = value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 2 ? -1 : 0;
  return inspect(value, { depth, maxArrayLength: 3, breakLength: Infinity });
}

function formatTable(data, properties) {
  const indexKeys = (length) => Array.from({ length }, (_, i) => tableCell(i));
  if (isMap(data)) {
    const keys = [];
    const values = [];
    for (const [key, value] of { [Symbol.iterator]: () => MapEntries.call(data) }) {
      keys.push(tableCell(key));
      values.push(tableCell(value));
    }
    return renderTable(["(iteration index)", "Key", "Values"], [indexKeys(keys.length), keys, values]);
  }
  if (isSet(data)) {
    const values = [];
    for (const value of { [Symbol.iterator]: () => SetValues.call(data) }) values.push(tableCell(value));
    return renderTable(["(iteration index)", "Values"], [indexKeys(values.length), values]);
  }
  const columns = new Map();  // column name -> cells by row
  const primitiveCells = [];
  let hasPrimitives = false;
  const rowKeys = Object.keys(data);
  for (let row = 0; row < rowKeys.length; row++) {
    const item = data[rowKeys[row]];
    const primitive = item === null || (typeof item !== "function" && typeof item !== "object");
    if (properties === undefined && primitive) {
      hasPrimitives = true;
      primitiveCells[row] = tableCell(item);
      continue;
    }
    for (const key of properties || Object.keys(item)) {
      if (!columns.has(key)) columns.set(key, []);
      columns.get(key)[row] = primitive || !hasOwn.call(item, key) ? "" : tableCell(item[key]);
    }
  }
  const head = ["(index)", ...columns.keys()];
  const cells = [rowKeys, ...columns.values()];
  if (hasPrimitives) {
    head.push("Values");
    cells.push(primitiveCells);
  }
  return renderTable(head, cells);
}

// ---- console --------------------------------------------------------------------------------------
let groupIndentation = "";
const counts = new Map();
const timers = new Map();

function emit(level, message) {
  if (groupIndentation !== "") message = groupIndentation + message.replaceAll("\n", `\n${groupIndentation}`);
  native.log(level, message);
}

function formatDuration(ms) {
  if (ms >= 60000) {
    const hours = Math.floor(ms / 3600000);
    const minutes = Math.floor((ms % 3600000) / 60000);
    const [seconds, millis] = ((ms % 60000) / 1000).toFixed(3).split(".");
    const pad = (n) => `${n}`.padStart(2, "0");
    return hours !== 0 ? `${hours}:${pad(minutes)}:${pad(seconds)}.${millis} (h:mm:ss.mmm)` : `${minutes}:${pad(seconds)}.${millis} (m:ss.mmm)`;
  }
  if (ms >= 1000) return `${(ms / 1000).toFixed(3)}s`;
  return `${Number(ms.toFixed(3))}ms`;
}

function formatRest(data) {
  return data.map((value) => (typeof value === "string" ? value : inspect(value))).join(" ");
}

function timeLogImpl(name, label, data, end) {
  label = webidl.toDOMString(label, `console.${name}`);
  const start = timers.get(label);
  if (start === undefined) {
    emit("warn", `Warning: No such label '${label}' for console.${name}()`);
    return;
  }
  if (end) timers.delete(label);
  let message = `${label}: ${formatDuration(native.now() - start)}`;
  if (data.length > 0) message += ` ${formatRest(data)}`;
  emit("info", message);
}

const consoleNamespace = {
  log(...data) { emit("info", format(data)); },
  info(...data) { emit("info", format(data)); },
  debug(...data) { emit("debug", format(data)); },
  warn(...data) { emit("warn", format(data)); },
  error(...data) { emit("error", format(data)); },
  dirxml(...data) { emit("info", format(data)); },

  trace(...data) {
    const holder = { name: "Trace", message: format(data) };
    if (typeof captureStackTrace === "function") captureStackTrace(holder, consoleNamespace.trace);
    emit("info", typeof holder.stack === "string" ? holder.stack : `Trace${holder.message ? `: ${holder.message}` : ""}`);
  },

  assert(condition = false, ...data) {
    if (condition) return;
    if (data.length === 0) data.push("Assertion failed");
    else if (typeof data[0] === "string") data[0] = `Assertion failed: ${data[0]}`;
    else data.unshift("Assertion failed");
    emit("error", format(data));
  },

  dir(item = undefined, options = undefined) {
    emit("info", inspect(item, { customInspect: false, ...(options !== null && typeof options === "object" ? options : {}) }));
  },

  table(tabularData = undefined, properties = undefined) {
    if (properties !== undefined) {
      properties = webidl.toSequence(properties, "console.table", (item) => webidl.toDOMString(item, "console.table"));
    }
    if (tabularData === null || typeof tabularData !== "object") {
      emit("info", format([tabularData]));
      return;
    }
    emit("info", formatTable(tabularData, properties));
  },

  count(label = "default") {
    label = webidl.toDOMString(label, "console.count");
    const count = (counts.get(label) ?? 0) + 1;
    counts.set(label, count);
    emit("info", `${label}: ${count}`);
  },

  countReset(label = "default") {
    label = webidl.toDOMString(label, "console.countReset");
    if (counts.has(label)) counts.set(label, 0);
    else emit("warn", `Count for '${label}' does not exist`);
  },

  group(...data) {
    if (data.length > 0) emit("info", format(data));
    groupIndentation += "  ";
  },

  groupCollapsed(...data) {
    if (data.length > 0) emit("info", format(data));
    groupIndentation += "  ";
  },

  groupEnd() {
    groupIndentation = groupIndentation.slice(0, -2);
  },

  time(label = "default") {
    label = webidl.toDOMString(label, "console.time");
    if (timers.has(label)) {
      emit("warn", `Warning: Label '${label}' already exists for console.time()`);
      return;
    }
    timers.set(label, native.now());
  },

  timeLog(label = "default", ...data) { timeLogImpl("timeLog", label, data, false); },
  timeEnd(label = "default") { timeLogImpl("timeEnd", label, [], true); },

  // A log record stream cannot be cleared; the group stack is, as the standard says.
  clear() { groupIndentation = ""; },
};
Object.defineProperty(consoleNamespace, Symbol.toStringTag, { value: "console", writable: false, enumerable: false, configurable: true });

internal.inspect = inspect;
internal.format = format;
internal.defineGlobal("console", consoleNamespace);
