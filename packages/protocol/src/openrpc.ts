/**
 * The OpenRPC documents that `rpc.discover` answers, generated from the
 * vocabulary and restricted to the methods a policy grants: after
 * authentication the whole document, with each method's schemas and its
 * resources under the `x-policy` extension; before it, only the method names
 * ({@link buildOpenRpcNameList}), so a peer without the key learns nothing of
 * the policy's files, node patterns, services or command rules.
 */
import { METHODS, type MethodName } from "./vocabulary.js";

/** OpenRPC's version this document follows. */
export const OPENRPC_VERSION = "1.2.6";

/** One method entry of the document. */
export interface OpenRpcMethod {
  name: string;
  summary: string;
  description: string;
  paramStructure: "by-name";
  params: { name: string; required: boolean; schema: unknown }[];
  result: { name: string; schema: unknown };
  /** What this method may touch under the policy (files and node patterns, services, …). */
  "x-policy"?: unknown;
}

/** The discovery document. */
export interface OpenRpcDocument {
  openrpc: string;
  info: { title: string; version: string; description: string };
  methods: OpenRpcMethod[];
  components: { errors: Record<string, { code: number; message: string }> };
}

/** What `rpc.discover` answers before authentication: the allowed methods' names and nothing else. */
export interface OpenRpcNameList {
  openrpc: string;
  info: { title: string; version: string; description: string };
  methods: { name: string }[];
}

function stripTypeBox(schema: unknown): unknown {
  // TypeBox marks schemas with symbol keys; JSON.stringify drops them, so a
  // round-trip yields plain JSON Schema.
  return JSON.parse(JSON.stringify(schema));
}

/**
 * Builds the document for `allowed` methods (in vocabulary order).
 * `policyFor` returns each method's `x-policy` value, or undefined for none.
 */
export function buildOpenRpcDocument(options: {
  serverVersion: string;
  allowed: Iterable<MethodName>;
  policyFor?: (method: MethodName) => unknown;
  errors?: Record<string, { code: number; message: string }>;
}): OpenRpcDocument {
  const allowed = new Set(options.allowed);
  const methods: OpenRpcMethod[] = [];
  for (const name of Object.keys(METHODS) as MethodName[]) {
    if (!allowed.has(name)) continue;
    const spec = METHODS[name];
    const props = (spec.params as { properties?: Record<string, unknown>; required?: string[] }).properties ?? {};
    const required = new Set((spec.params as { required?: string[] }).required ?? []);
    const entry: OpenRpcMethod = {
      name,
      summary: spec.summary,
      description: spec.description,
      paramStructure: "by-name",
      params: Object.entries(props).map(([param, schema]) => ({
        name: param,
        required: required.has(param),
        schema: stripTypeBox(schema),
      })),
      result: { name: "result", schema: stripTypeBox(spec.result) },
    };
    const policy = options.policyFor?.(name);
    if (policy !== undefined) entry["x-policy"] = policy;
    methods.push(entry);
  }
  return {
    openrpc: OPENRPC_VERSION,
    info: {
      title: "machinad",
      version: options.serverVersion,
      description: "The methods this daemon's policy allows; everything else is refused (default deny).",
    },
    methods,
    components: { errors: options.errors ?? {} },
  };
}

/**
 * The pre-authentication answer of `rpc.discover`: the names of the `allowed`
 * methods (in vocabulary order) and nothing else — no params or result
 * schemas, no `x-policy`. Authenticate for the whole document.
 */
export function buildOpenRpcNameList(options: { serverVersion: string; allowed: Iterable<MethodName> }): OpenRpcNameList {
  const allowed = new Set(options.allowed);
  return {
    openrpc: OPENRPC_VERSION,
    info: {
      title: "machinad",
      version: options.serverVersion,
      description:
        "The names of the methods this daemon's policy allows (default deny). Authenticate for the whole document: " +
        "each method's params and result, and the resources the policy lets it touch.",
    },
    methods: (Object.keys(METHODS) as MethodName[]).filter((name) => allowed.has(name)).map((name) => ({ name })),
  };
}
