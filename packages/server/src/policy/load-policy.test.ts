import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { checkPolicy, loadPolicy, parsePolicy } from "#src/policy/load-policy.js";
import { PolicyError, type PolicyProblem } from "#src/policy/policy-errors.js";
import type { PolicyRegex } from "#src/policy/policy-validator.js";

/** The example from DESIGN.md, verbatim. */
export const designExample = `version = 1

[clients]                 # who may connect (SO_PEERCRED); names or ids; root always may
users = ["www-data"]
groups = []

[[augeas.file]]           # each file the daemon loads; paths are under --root
path = "/etc/hosts"
lens = "Hosts"            # optional: the file's default lens otherwise
read = ["**"]             # node patterns below /files/etc/hosts; default ["**"]
write = ["*", "*/ipaddr", "*/canonical", "*/alias"]   # default [] (read-only)

[[augeas.file]]
path = "/etc/hostname"
write = ["**"]

[[service]]
name = "nginx"            # or: pattern = "^example@[0-9]{4}\\\\.service$"
actions = ["status", "reload", "restart"]

[package]
install = ["hello"]
remove = ["hello"]
update = true

[timezone]
set = true

[[command]]
name = "rotate-logs"
path = "/usr/sbin/logrotate"
args = [["--force"], "^/etc/logrotate\\\\.d/[a-z0-9-]+$"]   # per position: choices or anchored regex
env = ["LANG"]
timeout = 60
`;

function errorsOf(text: string): PolicyProblem[] {
  try {
    parsePolicy(text, "test.toml");
  } catch (err) {
    assert.ok(err instanceof PolicyError);
    assert.ok(err.problems.length > 0);
    assert.ok(err.problems.every((p) => p.severity === "error"));
    return err.problems;
  }
  assert.fail(`expected a PolicyError for:\n${text}`);
}

function expectError(text: string, key: string, line: number | undefined, message: RegExp): void {
  const problems = errorsOf(text);
  const hit = problems.find((p) => p.key === key);
  assert.ok(hit, `no problem with key ${key}; got ${JSON.stringify(problems)}`);
  assert.equal(hit.line, line, `line of ${key}: ${JSON.stringify(hit)}`);
  assert.match(hit.message, message);
}

const head = `version = 1\n[clients]\nusers = ["www-data"]\n`; // lines 1-3

describe("parsePolicy: valid policies", () => {
  it("reads the DESIGN.md example", () => {
    const p = parsePolicy(designExample, "policy.toml");
    assert.equal(p.version, 1);
    assert.equal(p.source, "policy.toml");
    assert.deepEqual(p.clients, { users: ["www-data"], groups: [] });
    assert.equal(p.augeas.files.length, 2);
    const [hosts, hostname] = p.augeas.files;
    assert.equal(hosts?.path, "/etc/hosts");
    assert.equal(hosts?.node, "/files/etc/hosts");
    assert.equal(hosts?.lens, "Hosts.lns");
    assert.deepEqual(hosts?.read.map((r) => r.source), ["**"]);
    assert.deepEqual(hosts?.write.map((r) => r.source), ["*", "*/ipaddr", "*/canonical", "*/alias"]);
    assert.equal(hostname?.lens, undefined);
    assert.deepEqual(hostname?.read.map((r) => r.source), ["**"], "read defaults to **");
    assert.deepEqual(hostname?.write.map((r) => r.source), ["**"]);
    assert.deepEqual(p.service.rules, [{ name: "nginx", actions: ["status", "reload", "restart"] }]);
    assert.deepEqual(p.package, { install: ["hello"], remove: ["hello"], update: true });
    assert.deepEqual(p.timezone, { get: true, set: true });
    assert.equal(p.command.rules.length, 1);
    const cmd = p.command.rules[0]!;
    assert.equal(cmd.name, "rotate-logs");
    assert.deepEqual(cmd.args[0], ["--force"]);
    const arg = cmd.args[1] as PolicyRegex;
    assert.equal(arg.source, "^/etc/logrotate\\.d/[a-z0-9-]+$", "the policy's own words");
    assert.equal(arg.regex.test("/etc/logrotate.d/nginx"), true);
    assert.equal(arg.regex.test("/etc/logrotate.d/../x"), false);
    assert.equal(cmd.timeout, 60);
    assert.deepEqual(cmd.env, ["LANG"]);
  });

  it("absent sections grant nothing", () => {
    const p = parsePolicy(head, "min.toml");
    assert.deepEqual(p.augeas.files, []);
    assert.deepEqual(p.service.rules, []);
    assert.deepEqual(p.package, { install: [], remove: [], update: false });
    assert.deepEqual(p.timezone, { get: false, set: false });
    assert.deepEqual(p.command.rules, []);
  });

  it("[timezone] present allows get only unless set = true", () => {
    assert.deepEqual(parsePolicy(`${head}[timezone]\n`, "t").timezone, { get: true, set: false });
  });

  it("service patterns are anchored and re-anchored around alternation", () => {
    const p = parsePolicy(`${head}[[service]]\npattern = "^example@[0-9]{4}\\\\.service$"\nactions = ["restart"]\n[[service]]\npattern = "^a$|^b$"\nactions = ["status"]\n`, "s");
    const re = p.service.rules[0]!.pattern!.regex;
    assert.equal(re.test("example@1234.service"), true);
    assert.equal(re.test("xexample@1234.service"), false);
    const alt = p.service.rules[1]!.pattern!.regex;
    assert.equal(alt.test("a"), true);
    assert.equal(alt.test("b"), true);
    assert.equal(alt.test("ab"), false);
  });

  it("loadPolicy reads a file; a missing file is a PolicyError", () => {
    const dir = mkdtempSync(join(tmpdir(), "policy-"));
    writeFileSync(join(dir, "policy.toml"), designExample);
    assert.equal(loadPolicy(join(dir, "policy.toml")).augeas.files.length, 2);
    assert.throws(() => loadPolicy(join(dir, "absent.toml")), (err: unknown) => err instanceof PolicyError && /ENOENT/.test(err.message));
  });
});

describe("parsePolicy: invalid policies (key and line)", () => {
  it("TOML syntax errors carry smol-toml's line", () => {
    expectError(`${head}[[augeas.file]]\npath = "/etc/hosts\n`, "", 5, /TOML syntax/);
  });
  it("version is required and must be 1", () => {
    expectError(`[clients]\nusers = []\n`, "version", undefined, /version = 1/);
    expectError(`version = 2\n[clients]\n`, "version", 1, /unsupported version/);
  });
  it("[clients] is required", () => {
    expectError(`version = 1\n`, "clients", undefined, /missing \[clients\]/);
  });
  it("unknown keys anywhere are errors", () => {
    expectError(`${head}colour = "blue"\n`, "clients.colour", 4, /unknown key "colour"/);
    expectError(`version = 1\nfoo = 1\n[clients]\n`, "foo", 2, /unknown key/);
    expectError(`${head}[[augeas.file]]\npath = "/etc/hosts"\nwirte = ["**"]\n`, "augeas.file[0].wirte", 6, /unknown key "wirte"/);
    expectError(`${head}[[service]]\nname = "x"\nactions = ["status"]\nuser = "root"\n`, "service[0].user", 7, /unknown key/);
    expectError(`${head}[timezone]\nset = true\nget = true\n`, "timezone.get", 6, /unknown key/);
  });
  it("wrong types", () => {
    expectError(`${head}[package]\nupdate = "yes"\n`, "package.update", 5, /true or false/);
    expectError(`${head}[[augeas.file]]\npath = "/etc/hosts"\nread = "**"\n`, "augeas.file[0].read", 6, /array of strings/);
    expectError(`version = 1\n[clients]\nusers = [1.5]\n`, "clients.users[0]", 3, /not a user name or numeric id/);
    expectError(`${head}[[command]]\nname = "x"\npath = "/bin/true"\ntimeout = "60"\n`, "command[0].timeout", 7, /seconds/);
  });
  it("file paths: absolute, normalised, no duplicates", () => {
    expectError(`${head}[[augeas.file]]\npath = "etc/hosts"\n`, "augeas.file[0].path", 5, /absolute/);
    expectError(`${head}[[augeas.file]]\npath = "/etc/../etc/shadow"\n`, "augeas.file[0].path", 5, /normalised/);
    expectError(`${head}[[augeas.file]]\npath = "/etc/./hosts"\n`, "augeas.file[0].path", 5, /normalised/);
    expectError(`${head}[[augeas.file]]\npath = "/etc//hosts"\n`, "augeas.file[0].path", 5, /'\/\/'/);
    expectError(`${head}[[augeas.file]]\npath = "/etc/"\n`, "augeas.file[0].path", 5, /end with/);
    expectError(`${head}[[augeas.file]]\npath = "/etc/hosts"\n\n[[augeas.file]]\npath = "/etc/hosts"\n`, "augeas.file[1].path", 8, /already listed/);
    expectError(`${head}[[augeas.file]]\npath = "/etc/a"\n[[augeas.file]]\npath = "/etc/a/b"\n`, "augeas.file[1].path", 7, /lies inside/);
    expectError(`${head}[[augeas.file]]\nread = ["**"]\n`, "augeas.file[0]", 4, /missing path/);
  });
  it("lens names", () => {
    expectError(`${head}[[augeas.file]]\npath = "/etc/hosts"\nlens = "hosts"\n`, "augeas.file[0].lens", 6, /not a lens name/);
    expectError(`${head}[[augeas.file]]\npath = "/etc/hosts"\nlens = "Hosts.lns; rm"\n`, "augeas.file[0].lens", 6, /not a lens name/);
    assert.equal(parsePolicy(`${head}[[augeas.file]]\npath = "/etc/hosts"\nlens = "Hosts.lns"\n`, "x").augeas.files[0]?.lens, "Hosts.lns");
  });
  it("node patterns, with the element's own line in a multi-line array", () => {
    const text = `${head}[[augeas.file]]\npath = "/etc/hosts"\nwrite = [\n  "*",\n  "*/ipaddr",\n  "../x",\n]\n`;
    expectError(text, "augeas.file[0].write[2]", 9, /only dots|'\.'/);
    expectError(`${head}[[augeas.file]]\npath = "/etc/hosts"\nread = ["alias[2]"]\n`, "augeas.file[0].read[0]", 6, /positional/);
    expectError(`${head}[[augeas.file]]\npath = "/etc/hosts"\nread = ["/x"]\n`, "augeas.file[0].read[0]", 6, /leading/);
    expectError(`${head}[[augeas.file]]\npath = "/etc/hosts"\nread = ["a//b"]\n`, "augeas.file[0].read[0]", 6, /empty segment/);
  });
  it("services: name xor pattern, anchored regex, known actions", () => {
    expectError(`${head}[[service]]\nactions = ["status"]\n`, "service[0]", 4, /exactly one of name and pattern/);
    expectError(`${head}[[service]]\nname = "a"\npattern = "^a$"\nactions = ["status"]\n`, "service[0].pattern", 6, /not both/);
    expectError(`${head}[[service]]\npattern = "example@.*"\nactions = ["status"]\n`, "service[0].pattern", 5, /anchored/);
    expectError(`${head}[[service]]\npattern = "^a(b$"\nactions = ["status"]\n`, "service[0].pattern", 5, /does not compile/);
    expectError(`${head}[[service]]\nname = "nginx"\nactions = ["status", "kill"]\n`, "service[0].actions[1]", 6, /unknown action "kill"/);
    expectError(`${head}[[service]]\nname = "-nginx"\nactions = ["status"]\n`, "service[0].name", 5, /not a service name/);
  });
  it("commands: absolute path, anchored arg regexes", () => {
    expectError(`${head}[[command]]\nname = "x"\npath = "logrotate"\n`, "command[0].path", 6, /absolute/);
    expectError(`${head}[[command]]\nname = "x"\npath = "/bin/x"\nargs = ["--force"]\n`, "command[0].args[0]", 7, /anchored/);
    expectError(`${head}[[command]]\nname = "x"\npath = "/bin/x"\nargs = [[]]\n`, "command[0].args[0]", 7, /non-empty array/);
    expectError(`${head}[[command]]\nname = "x"\npath = "/bin/x"\n[[command]]\nname = "x"\npath = "/bin/y"\n`, "command[1].name", 8, /defined twice/);
    expectError(`${head}[[command]]\nname = "x"\npath = "/bin/x"\nenv = ["A-B"]\n`, "command[0].env[0]", 7, /environment variable/);
  });
  it("packages", () => {
    expectError(`${head}[package]\ninstall = ["-oAPT::x"]\n`, "package.install[0]", 5, /package name/);
  });
  it("a service's log file: absolute and normalised like a policy file, a string", () => {
    const entry = (log: string) => `${head}[[service]]\nname = "nginx"\nactions = ["log"]\nlog = ${log}\n`;
    expectError(entry('"var/log/nginx.log"'), "service[0].log", 7, /absolute/);
    expectError(entry('"/var/log/../../etc/shadow"'), "service[0].log", 7, /normalised/);
    expectError(entry('"/var/log/"'), "service[0].log", 7, /end with/);
    expectError(entry('"/var/log/a b.log"'), "service[0].log", 7, /letters, digits/);
    expectError(entry('["/var/log/x.log"]'), "service[0].log", 7, /string/);
    const p = parsePolicy(entry('"/var/log/nginx/error.log"'), "s");
    assert.deepEqual(p.service.rules, [{ name: "nginx", actions: ["log"], log: "/var/log/nginx/error.log" }]);
  });
  it("collects several problems at once", () => {
    const problems = errorsOf(`version = 3\n[clients]\nusers = []\nbogus = 1\n[[augeas.file]]\npath = "rel"\n`);
    assert.ok(problems.length >= 3, JSON.stringify(problems));
  });
});

describe("checkPolicy: warnings", () => {
  it("the DESIGN.md example has no errors", () => {
    assert.deepEqual(checkPolicy(designExample, "p").filter((p) => p.severity === "error"), []);
  });
  it("an empty [clients] means any local user", () => {
    const problems = checkPolicy(`version = 1\n[clients]\n`, "p");
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.severity, "warning");
    assert.equal(problems[0]?.key, "clients");
    assert.equal(problems[0]?.line, 2);
    assert.match(problems[0].message, /ANY local user/);
  });
  it("write patterns not covered by read patterns", () => {
    const problems = checkPolicy(`${head}[[augeas.file]]\npath = "/etc/hosts"\nread = ["*/ipaddr"]\nwrite = ["*/ipaddr", "*/alias"]\n`, "p");
    const w = problems.filter((p) => p.severity === "warning");
    assert.equal(w.length, 1, JSON.stringify(w));
    assert.equal(w[0]?.key, "augeas.file[0].write[1]");
    assert.equal(w[0]?.line, 7);
  });
  it("redundant write patterns", () => {
    const problems = checkPolicy(`${head}[[augeas.file]]\npath = "/etc/hosts"\nwrite = ["**", "*/alias"]\n`, "p");
    assert.deepEqual(problems.map((p) => [p.severity, p.key]), [["warning", "augeas.file[0].write[1]"]]);
  });
  it("parsePolicy drops warnings", () => {
    assert.doesNotThrow(() => parsePolicy(`version = 1\n[clients]\n`, "p"));
  });
  it("a log file no action reads, or missing under --root, is a warning", () => {
    const root = mkdtempSync(join(tmpdir(), "root-"));
    const problems = checkPolicy(`${head}[[service]]\nname = "nginx"\nactions = ["status"]\nlog = "/var/log/nginx.log"\n`, "p", { root });
    assert.deepEqual(problems.map((p) => [p.severity, p.key, p.line]), [
      ["warning", "service[0].log", 7],
      ["warning", "service[0].log", 7],
    ]);
    assert.match(problems.map((p) => p.message).join("\n"), /does not exist \(yet\)\n.*nothing reads it/);
  });
  it("files missing under --root are warnings", () => {
    const root = mkdtempSync(join(tmpdir(), "root-"));
    const problems = checkPolicy(`${head}[[augeas.file]]\npath = "/etc/hosts"\n`, "p", { root });
    assert.deepEqual(problems.map((p) => [p.severity, p.key, p.line]), [["warning", "augeas.file[0].path", 5]]);
  });
});
