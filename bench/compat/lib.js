// Helpers the compatibility modules share. The driver copies this file next to each module's
// index.js (for workerd and for mar alike), so a module imports it as "./lib.js".

// What a thrown value is, without its message (messages differ between runtimes by design).
export function errName(e) {
  if (e instanceof DOMException) return `DOMException ${e.name}`;
  if (e instanceof Error) return e.name;
  return `non-error ${typeof e}`;
}
// fn()'s value, or {threw: <errName>}.
export function attempt(fn) {
  try {
    const value = fn();
    return value === undefined ? "returned undefined" : value;
  } catch (e) {
    return { threw: errName(e) };
  }
}
export async function attemptAsync(fn) {
  try {
    const value = await fn();
    return value === undefined ? "returned undefined" : value;
  } catch (e) {
    return { threw: errName(e) };
  }
}
