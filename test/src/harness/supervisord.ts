/**
 * A real supervisord (Debian's `supervisor` package) for one test file, run as
 * root from a generated configuration in a temporary directory: its own Unix
 * socket there (with a username and password), its own log and pid files,
 * and the programs the test describes. Processes are read back through
 * supervisord's own Python client (supervisor.xmlrpc.SupervisorTransport), so
 * what the tests assert does not depend on machina's XML-RPC code.
 * stop() ends supervisord and everything it started; so does the test
 * process exiting.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describeRun, runCommand, SYSTEM_PATH } from "./command.js";
import { waitFor } from "./wait.js";

export interface Program {
  /** The command line, as supervisord reads it (its own shell-like split, no shell). */
  command: string;
  /** Further `key=value` lines of the `[program:…]` section. */
  settings?: Record<string, string | number | boolean>;
}

/** One process as getAllProcessInfo reports it. */
export interface ProcessInfo {
  group: string;
  name: string;
  pid: number;
  state: number;
  statename: string;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** A program that sleeps and appends the name of every SIGHUP, SIGUSR1 and SIGUSR2 it gets to a file: a stand-in for uwsgi. */
const SIGNAL_RECORDER = `import signal, sys, time
def record(sig, frame):
    with open(sys.argv[1], "a") as f:
        f.write(signal.Signals(sig).name + "\\n")
for s in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(s, record)
while True:
    time.sleep(3600)
`;

export class Supervisord {
  readonly dir: string;
  readonly socket: string;
  readonly config: string;
  readonly username = "machina";
  /** With a colon in it: the credentials file splits at the first one only. */
  readonly password = "pa:ss-w0rd";
  private child: ChildProcess | undefined;
  private output = "";

  private constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "machina-supervisord-"));
    this.socket = path.join(this.dir, "supervisor.sock");
    this.config = path.join(this.dir, "supervisord.conf");
  }

  /** The signal recorder's command line: it records into signals(name). */
  recorder(name: string): string {
    const script = path.join(this.dir, "recorder.py");
    if (!fs.existsSync(script)) fs.writeFileSync(script, SIGNAL_RECORDER, { mode: 0o644 });
    return `/usr/bin/python3 ${script} ${this.signalsFile(name)}`;
  }

  signalsFile(name: string): string {
    return path.join(this.dir, `${name}.signals`);
  }

  /** The signals the recorder running as `name` got, in order. */
  signals(name: string): string[] {
    const f = this.signalsFile(name);
    return fs.existsSync(f) ? fs.readFileSync(f, "utf8").split("\n").filter(Boolean) : [];
  }

  /** Writes the configuration, starts supervisord in the foreground and waits until every autostarted program runs. */
  static async start(programs: (sv: Supervisord) => Record<string, Program>, groups: Record<string, string[]> = {}): Promise<Supervisord> {
    const sv = new Supervisord();
    fs.mkdirSync(path.join(sv.dir, "log"));
    const sections = Object.entries(programs(sv)).map(([name, p]) => {
      const settings = Object.entries(p.settings ?? {}).map(([k, v]) => `${k}=${String(v)}\n`);
      return `[program:${name}]\ncommand=${p.command}\n${settings.join("")}`;
    });
    const groupSections = Object.entries(groups).map(([name, members]) => `[group:${name}]\nprograms=${members.join(",")}\n`);
    fs.writeFileSync(
      sv.config,
      `[unix_http_server]
file=${sv.socket}
chmod=0700
username=${sv.username}
password=${sv.password}

[supervisord]
logfile=${path.join(sv.dir, "supervisord.log")}
pidfile=${path.join(sv.dir, "supervisord.pid")}
childlogdir=${path.join(sv.dir, "log")}
nodaemon=true
user=root

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

${[...sections, ...groupSections].join("\n")}`,
      { mode: 0o600 },
    );
    sv.child = spawn("/usr/bin/supervisord", ["-c", sv.config], { stdio: ["ignore", "pipe", "pipe"], env: { PATH: SYSTEM_PATH, LANG: "C.UTF-8" } });
    live.add(sv.child);
    sv.child.stdout!.setEncoding("utf8").on("data", (s: string) => (sv.output += s));
    sv.child.stderr!.setEncoding("utf8").on("data", (s: string) => (sv.output += s));
    sv.child.once("close", () => live.delete(sv.child!));
    await waitFor(
      async () => {
        if (sv.child!.exitCode !== null) throw new Error(`supervisord exited\n${sv.describe()}`);
        if (!fs.existsSync(sv.socket)) return false;
        const all = await sv.processes().catch(() => undefined);
        return all?.every((p) => p.statename !== "STARTING") ? true : false;
      },
      "supervisord and its autostarted programs to run",
      () => sv.describe(),
    );
    return sv;
  }

  describe(): string {
    const log = path.join(this.dir, "supervisord.log");
    return `--- supervisord output ---\n${this.output}--- supervisord.log ---\n${fs.existsSync(log) ? fs.readFileSync(log, "utf8") : ""}--- end ---`;
  }

  /** Calls supervisord through its own Python client; answers the JSON of the result. */
  async rpc(method: string, ...params: unknown[]): Promise<unknown> {
    const code = `import json, sys, xmlrpc.client
from supervisor.xmlrpc import SupervisorTransport
t = SupervisorTransport(${JSON.stringify(this.username)}, ${JSON.stringify(this.password)}, "unix://" + ${JSON.stringify(this.socket)})
proxy = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=t)
print(json.dumps(getattr(proxy.supervisor, sys.argv[1])(*json.loads(sys.argv[2]))))
`;
    const r = await runCommand("/usr/bin/python3", ["-c", code, method, JSON.stringify(params)]);
    if (r.code !== 0) throw new Error(`supervisor.${method}: ${describeRun(r)}`);
    return JSON.parse(r.stdout) as unknown;
  }

  async processes(): Promise<ProcessInfo[]> {
    return (await this.rpc("getAllProcessInfo")) as ProcessInfo[];
  }

  /** namespec (`name` or `group:name`, supervisord's make_namespec) → pid and state name. */
  async snapshot(): Promise<Map<string, { pid: number; statename: string }>> {
    const all = await this.processes();
    return new Map(all.map((p) => [p.group === p.name ? p.name : `${p.group}:${p.name}`, { pid: p.pid, statename: p.statename }]));
  }

  /** Ends supervisord (SIGTERM: it stops its programs first) and removes the directory. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((r) => child.once("close", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await closed;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Writes a credentials file for machinad (root's alone unless `mode` says otherwise). */
  authFile(file: string, text = `${this.username}:${this.password}\n`, mode = 0o600): string {
    fs.writeFileSync(file, text, { mode });
    fs.chmodSync(file, mode);
    return file;
  }
}
