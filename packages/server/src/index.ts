// @machina/server's library surface: the daemon is its `machinad` binary. What
// is exported here is for tests and tools that iterate the capability modules
// (the registry) or read a policy the way the daemon does.
export { MODULES, moduleIndex, type MethodBinding, type ModuleName, type PolicySections } from "./capability/registry.js";
export { parsePolicy, checkPolicy, loadPolicy } from "./policy/load-policy.js";
export type { Policy } from "./policy/policy-types.js";
// The Augeas host and the in-process runtime it wraps, for the benchmark
// that measures what running libaugeas off the daemon's event loop costs.
export { AugeasHost } from "./augeas/host/augeas-host.js";
export { AugeasLocalRuntime } from "./augeas/local-runtime.js";
export { runCall } from "./augeas/host/host-calls.js";
export { createLogger } from "./logger.js";
// How the systemd backend names a loaded unit's D-Bus object, checked against a real systemd.
export { unitObjectPath } from "./service/systemd-backend.js";
// Stack traces mapped to the sources when logged (instead of node's --enable-source-maps).
export { loggedStack } from "./stack-trace.js";
