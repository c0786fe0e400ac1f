// @machina/server's library surface: the daemon is its `machinad` binary. What
// is exported here is for tests and tools that iterate the capability modules
// (the registry) or read a policy the way the daemon does.
export { MODULES, moduleIndex, type MethodBinding, type ModuleName, type PolicySections } from "./capability/registry.js";
export { parsePolicy, checkPolicy, loadPolicy } from "./policy/load-policy.js";
export type { Policy } from "./policy/policy-types.js";
