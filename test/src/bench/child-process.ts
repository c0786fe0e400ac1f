/**
 * Child processes of the bench: started with a cleared environment (the
 * harness's), waited for on a stdout/stderr marker as an event rather than by
 * polling, and killed when the bench exits whatever happened.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cleanEnv } from "../harness/daemon.js";

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export interface Started {
  child: ChildProcess;
  /** Everything the child wrote to stderr so far (for error messages). */
  stderr(): string;
  /** SIGTERM, then resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Spawns `node [NODEFLAGS…] FILE ARGS…` and resolves once `ready` matches what it wrote on
 * `stream`; rejects if it exits first.
 */
export function startNode(file: string, args: string[], stream: "stdout" | "stderr", ready: RegExp, nodeFlags: readonly string[] = []): Promise<Started> {
  const child = spawn(process.execPath, [...nodeFlags, file, ...args], { stdio: ["ignore", "pipe", "pipe"], env: cleanEnv() });
  live.add(child);
  let out = "";
  let err = "";
  const exited = new Promise<void>((resolve) =>
    child.once("close", () => {
      live.delete(child);
      resolve();
    }),
  );
  const started: Started = {
    child,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (ready.test(stream === "stdout" ? out : err)) resolve(started);
    };
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      out += s;
      check();
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      err += s;
      check();
    });
    void exited.then(() => reject(new Error(`${file} exited before it was ready\n${err}`)));
  });
}
