/**
 * Params for any method of the vocabulary, built from its JSON Schema, so the
 * suites that must cover EVERY method (audit completeness, hostile resource
 * names) cover methods added after they were written. Each string param gets
 * a value chosen by its name (`pick`), so a test can aim a hostile name at
 * whatever the method calls its resource, or mark values that must never be
 * logged.
 */
import { METHODS, type MethodName } from "@machina/protocol";

interface Schema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
  minimum?: number;
  default?: unknown;
}

/** Answers the value for a string param named `key` (the dotted path of keys, e.g. `changes.path`). */
export type StringPicker = (key: string, schema: Schema) => string;

export function valueFor(schema: Schema, key: string, pick: StringPicker): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const options = schema.anyOf ?? schema.oneOf;
  if (options && options.length > 0) {
    const nonNull = options.find((o) => o.type !== "null") ?? options[0]!;
    return valueFor(nonNull, key, pick);
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "string":
      return pick(key, schema);
    case "integer":
    case "number":
      return schema.minimum ?? 1;
    case "boolean":
      return false;
    case "null":
      return null;
    case "array":
      return schema.items && (schema.minItems ?? 0) > 0 ? [valueFor(schema.items, key, pick)] : [];
    case "object":
    default:
      return objectFor(schema, key, pick);
  }
}

function objectFor(schema: Schema, prefix: string, pick: StringPicker): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of schema.required ?? []) {
    const prop = schema.properties?.[name];
    if (prop) out[name] = valueFor(prop, prefix ? `${prefix}.${name}` : name, pick);
  }
  return out;
}

/** Params with every required property filled in. */
export function paramsFor(method: MethodName, pick: StringPicker): Record<string, unknown> {
  return objectFor(METHODS[method].params, "", pick);
}
