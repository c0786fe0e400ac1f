// The policy engine's public surface, for the daemon's handlers and CLI.
export { PolicyEngine, type AugeasTree, type ModifiedCheck, type MoveAuthorisation, type ReadResolution, type SetmAuthorisation, type WriteAuthorisation } from "./authorise.js";
export { parseAugeasPath, parseRelativeAugeasPath, type AugeasPath, type PathStep, type Predicate, type RelativeAugeasPath } from "./augeas-path.js";
export { canonicalNodePath, escapeLabel, nodePathLabels, parseNodePath } from "./augeas-label.js";
export { analysePolicy, checkPolicy, loadPolicy, parsePolicy, type ParsePolicyOptions, type PolicyCheck } from "./load-policy.js";
export { compileNodePattern, matchNodePattern, type NodePattern } from "./node-pattern.js";
export { formatProblem, PathRejectedError, PolicyDeniedError, PolicyError, type PolicyProblem } from "./policy-errors.js";
export type { CommandRule, FileRule, Policy, ServiceAction, ServiceRule } from "./policy-types.js";
export { SERVICE_ACTIONS } from "./policy-types.js";
