/**
 * What a client path may cost: its predicates, and the work evaluating and
 * authorising it takes. libaugeas evaluates a predicate once per candidate
 * node, and authorisation evaluates a path once more per predicate (to check
 * the nodes each one reads), so the work of one path is about
 * (1 + predicates) × (its node tests) × (the nodes it walks). The node count is
 * bounded per file (edit-budget.ts); this bounds the rest, from the parsed path
 * alone, before libaugeas sees it.
 */
import { LimitExceededFault } from "../faults.js";
import type { SessionLimits } from "../limits.js";
import type { PathStep } from "./augeas-path.js";

/** The limits this file enforces (a part of SessionLimits, as plain data). */
export type PathLimits = Pick<SessionLimits, "maxPathPredicates" | "maxPathCost">;

/** Predicates in `steps` (the steps of one path, or of setm's base and sub together). */
export function predicateCount(steps: readonly PathStep[]): number {
  let n = 0;
  for (const step of steps) n += step.predicates.length;
  return n;
}

/**
 * (1 + predicates) × node tests: one per step, and per predicate one plus the
 * steps of its relative path (a position or last() counts one).
 */
export function pathCost(steps: readonly PathStep[]): number {
  let tests = 0;
  for (const step of steps) {
    tests += 1;
    for (const p of step.predicates) tests += 1 + (p.kind === "compare" ? p.rel.length : 0);
  }
  return (1 + predicateCount(steps)) * tests;
}

/** Refuses (`limit-exceeded`) a path beyond the limits; `shown` is the path as the message names it. */
export function checkPathLimits(steps: readonly PathStep[], shown: string, limits: PathLimits): void {
  const predicates = predicateCount(steps);
  if (predicates > limits.maxPathPredicates) {
    throw new LimitExceededFault("path-predicates", limits.maxPathPredicates, `${clip(shown)} has ${predicates} predicates`);
  }
  const cost = pathCost(steps);
  if (cost > limits.maxPathCost) {
    throw new LimitExceededFault("path-cost", limits.maxPathCost, `${clip(shown)} costs ${cost} ((1 + predicates) × node tests)`);
  }
}

/** Paths can be 4 KiB long; the message needs their start only. */
function clip(path: string): string {
  return path.length > 120 ? `${path.slice(0, 120)}…` : path;
}
