// Checks made before crossing into C++, so callers get a precise TypeError.
// The addon checks types again; these exist for the messages and for NUL
// bytes, which libaugeas would silently treat as the end of the string.

export function checkString(value: unknown, name: string): asserts value is string {
  if (typeof value !== "string") throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  if (value.includes("\0")) throw new TypeError(`${name} must not contain NUL characters`);
}

export function checkNullableString(value: unknown, name: string): asserts value is string | null {
  if (value === null) return;
  if (typeof value !== "string") throw new TypeError(`${name} must be a string or null, got ${describe(value)}`);
  checkString(value, name);
}

export function checkBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== "boolean") throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}
