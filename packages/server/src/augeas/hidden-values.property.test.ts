/**
 * Non-interference of hidden values, on generated sessions: two sandboxes
 * identical but for the values a client may not see — secret values
 * (`secret = ["*∕password"]`) and values of writable nodes it may not read —
 * get the same session of edits, guards, previews, applies, saves and
 * discards, and every answer must be the same in both (tags left out: they
 * name versions, and the versions differ). Any answer that depends on a
 * hidden value — a diff, "unchanged", a guard's verdict, an error — breaks
 * it. The values the session sets include each world's hidden values, so
 * "set to the value it already has" happens in one world and not the other.
 *
 * fast-check's seed is fixed (MACHINA_FC_SEED tries others).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { runCall } from "#src/augeas/host/host-calls.js";
import { AugeasLocalRuntime } from "#src/augeas/local-runtime.js";
import { parsePolicy } from "#src/policy/load-policy.js";
import { createLogger } from "#src/logger.js";

const SEED = Number(process.env.MACHINA_FC_SEED ?? 4_711);
const quiet = createLogger("error", () => undefined);

const POLICY = `version = 1
[clients]
users = ["root"]
[[augeas.file]]
path = "/etc/mysql/debian.cnf"
lens = "MySQL"
write = ["*", "*/*"]
secret = ["*/password"]
[[augeas.file]]
path = "/etc/ssh/sshd_config"
lens = "Sshd"
read = ["Port"]
write = ["Port", "PermitRootLogin"]
`;

/** Each world's hidden values: the passwords (secret) and PermitRootLogin (writable, unreadable). */
const WORLDS = [
  { password: "alpha1", login: "no" },
  { password: "beta22", login: "yes" },
] as const;

const cnf = (pw: string) => `[client]\nhost = localhost\nuser = debian-sys-maint\npassword = ${pw}\n[mysql_upgrade]\nuser = debian-sys-maint\npassword = ${pw}\n`;
const sshd = (login: string) => `Port 22\nPermitRootLogin ${login}\nUsePAM yes\n`;

interface World {
  rt: AugeasLocalRuntime;
  /** The files as the world starts (saves of an earlier run would make the worlds converge), nothing pending. */
  restore(): void;
  close(): void;
}

function openWorld(world: (typeof WORLDS)[number]): World {
  const root = mkdtempSync(join(tmpdir(), "machina-noninterference-"));
  mkdirSync(join(root, "etc/mysql"), { recursive: true });
  mkdirSync(join(root, "etc/ssh"), { recursive: true });
  const write = () => {
    writeFileSync(join(root, "etc/mysql/debian.cnf"), cnf(world.password));
    writeFileSync(join(root, "etc/ssh/sshd_config"), sshd(world.login));
  };
  write();
  const rt = new AugeasLocalRuntime(root, quiet);
  // One tag key for both: tags are left out of the comparison anyway.
  rt.usePolicy(parsePolicy(POLICY, "p").augeas, undefined, undefined, Buffer.alloc(32, 7));
  return {
    rt,
    restore() {
      write();
      rt.reset();
    },
    close() {
      rt.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

type Edit = { op: string; [k: string]: unknown };

const CNF = "/files/etc/mysql/debian.cnf";
const SSHD = "/files/etc/ssh/sshd_config";
const path = fc.constantFrom(
  `${CNF}/target[1]/password`,
  `${CNF}/target[2]/password`,
  `${CNF}/target[1]/user`,
  `${CNF}/target[1]/host`,
  `${CNF}/target[3]/password`,
  `${CNF}/target[last()]/password`,
  `${CNF}/*/password`,
  `${SSHD}/Port`,
  `${SSHD}/PermitRootLogin`,
  `${SSHD}/UsePAM`,
);
// Every world's hidden values are among the values set, so one world sets "its own" value.
const value = fc.constantFrom(...WORLDS.flatMap((w) => [w.password, w.login]), "gamma", "2222", null);
const edit = fc.oneof(
  fc.record({ op: fc.constant("set" as const), path, value }),
  fc.record({ op: fc.constant("clear" as const), path }),
  fc.record({ op: fc.constant("touch" as const), path }),
  fc.record({ op: fc.constant("remove" as const), path }),
  fc.record({ op: fc.constant("setm" as const), base: fc.constantFrom(`${CNF}/*`, `${CNF}/target[1]`, SSHD), sub: fc.constantFrom("password", "user", "PermitRootLogin", null), value }),
  fc.record({ op: fc.constant("insert" as const), path, label: fc.constantFrom("password", "user", "PermitRootLogin"), before: fc.boolean() }),
  fc.record({ op: fc.constant("rename" as const), path, label: fc.constantFrom("password", "user", "PermitRootLogin") }),
);
const guard = fc.oneof(
  fc.record({ op: fc.constant("guard" as const), get: path, is: fc.constantFrom("==" as const, "!=" as const), value }),
  fc.record({ op: fc.constant("guard" as const), match: path, size: fc.constantFrom("==" as const, ">" as const), count: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ op: fc.constant("guard" as const), exists: path }),
);
type Step =
  | readonly ["edit", Edit]
  | readonly ["apply" | "preview-apply", readonly Edit[]]
  | readonly ["get" | "match", string]
  | readonly ["preview" | "save" | "discard"];

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: edit.map((e) => ["edit", e] as const) },
  { weight: 2, arbitrary: fc.array(fc.oneof(edit, guard), { minLength: 1, maxLength: 4 }).map((c) => ["apply", c] as const) },
  { weight: 2, arbitrary: fc.array(fc.oneof(edit, guard), { minLength: 1, maxLength: 4 }).map((c) => ["preview-apply", c] as const) },
  { weight: 2, arbitrary: path.map((p) => ["get", p] as const) },
  { weight: 2, arbitrary: path.map((p) => ["match", p] as const) },
  { weight: 2, arbitrary: fc.constant(["preview"] as const) },
  { weight: 2, arbitrary: fc.constant(["save"] as const) },
  { weight: 1, arbitrary: fc.constant(["discard"] as const) },
);

const METHOD: Record<string, (e: Edit) => [string, unknown]> = {
  set: (e) => ["augeas.set", { path: e.path, value: e.value }],
  clear: (e) => ["augeas.apply", { changes: [e] }],
  touch: (e) => ["augeas.apply", { changes: [e] }],
  remove: (e) => ["augeas.remove", { path: e.path }],
  setm: (e) => ["augeas.setm", { base: e.base, sub: e.sub, value: e.value }],
  insert: (e) => ["augeas.insert", { path: e.path, label: e.label, before: e.before }],
  rename: (e) => ["augeas.rename", { path: e.path, label: e.label }],
};

/** A step's call in one world, as the client would see it, tags left out. */
async function observe(rt: AugeasLocalRuntime, s: Step): Promise<string> {
  const [kind, arg] = s;
  const [method, params]: [string, unknown] =
    kind === "edit"
      ? METHOD[arg.op]!(arg)
      : kind === "apply" || kind === "preview-apply"
        ? ["augeas.apply", { changes: arg, ...(kind === "preview-apply" ? { preview: true } : {}) }]
        : kind === "get" || kind === "match"
          ? [`augeas.${kind}`, { path: arg }]
          : [`augeas.${kind}`, {}];
  const outcome = await runCall(rt, method, params, quiet);
  return JSON.stringify(outcome, (key, v: unknown) => (key === "tag" || key === "tags" ? undefined : v));
}

describe("hidden values (secret, or writable but unreadable)", () => {
  it("never change an answer: two worlds differing only in them answer every generated session alike", async () => {
    const worlds = WORLDS.map(openWorld);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
          for (const w of worlds) w.restore();
          for (const [i, s] of steps.entries()) {
            const [a, b] = [await observe(worlds[0]!.rt, s), await observe(worlds[1]!.rt, s)];
            assert.equal(a, b, `step ${i + 1} (${JSON.stringify(s)}) answered differently with other hidden values`);
          }
        }),
        { seed: SEED, numRuns: 150 },
      );
    } finally {
      for (const w of worlds) w.close();
    }
  });
});
