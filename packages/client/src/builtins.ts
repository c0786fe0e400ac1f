/**
 * The node built-ins the client needs only once it connects, loaded then:
 * importing @machina/client is part of every panel's start and of every
 * `machina` run, and these (with node:crypto, loaded the same way by the
 * protocol's handshake) were most of what the import itself cost.
 */
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);
let net: typeof import("node:net") | undefined;
let childProcess: typeof import("node:child_process") | undefined;

export const nodeNet = (): typeof import("node:net") => (net ??= load("node:net") as typeof import("node:net"));
export const nodeChildProcess = (): typeof import("node:child_process") => (childProcess ??= load("node:child_process") as typeof import("node:child_process"));
