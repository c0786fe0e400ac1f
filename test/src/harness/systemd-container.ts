/**
 * A real systemd as PID 1, booted in systemd-nspawn, for the tests that need
 * systemd itself (the systemd service backend, timedatectl, polkit).
 *
 * The tree: `debootstrap --variant=minbase` of Debian with CONTAINER_PACKAGES,
 * from the mirror apt uses here, cached under /var/cache/machina-test/ as a
 * tarball keyed by a hash of the recipe and extracted once beside it
 * (build-container-tree.ts, under a lock). Each container is an overlayfs over
 * that shared tree: what it writes lands in its own upper layer.
 *
 * The boot: the host has no systemd and its /run is on disk, so nspawn runs in
 * a private mount namespace with a tmpfs on /run (and the overlay mounted
 * there too, so it disappears with the namespace), in a cgroup of its own
 * (/sys/fs/cgroup/{systemd,unified}/NAME on this hybrid host; `--keep-unit`
 * makes nspawn use the caller's). A drop-in makes the container's dbus.socket listen on
 * /run/host-share/system_bus_socket, a directory shared with the host: that is
 * the address machinad and the tests reach the container's system bus at
 * (busAddress). Ready means systemd's SystemState, read over that bus, is
 * `running`. Commands run inside through `nsenter -t PID1 -a`.
 *
 * The teardown is done by a supervisor shell (the first process in the mount
 * namespace) that waits on its stdin, a pipe from this process: when the pipe
 * closes — stop(), or this process exiting or being killed — it powers the
 * container off (SIGTERM to nspawn; SIGKILL to the whole cgroup after 15 s),
 * removes the cgroups, unmounts the overlay and deletes the instance
 * directory. A killed test run leaves no container, cgroup or file behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import dbus from "dbus-next";
import { setprivByNameArgv } from "./as-user.js";
import { runCommand, SYSTEM_PATH, type CommandOptions } from "./command.js";
import type { RunResult } from "./daemon.js";
import { waitFor } from "./wait.js";

/** Debian release of the tree. */
const SUITE = "bookworm";
/**
 * What the tree holds beyond minbase: systemd as init with D-Bus, logind and
 * polkit (the list), plus what machinad needs to run inside the
 * container with the host's node binary (libaugeas0, augeas-lenses) and the
 * zone database timedatectl sets zones from (tzdata), and Debian's own nodejs
 * (bookworm: 18.20), which the machina package depends on and runs under.
 */
export const CONTAINER_PACKAGES: readonly string[] = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "polkitd",
  "pkexec",
  "procps",
  "iproute2",
  "libpam-systemd",
  "libnss-systemd",
  "libaugeas0",
  "augeas-lenses",
  "tzdata",
  "nodejs",
];
/** Bump when the tree's recipe changes in a way the package list does not show. */
const RECIPE_VERSION = 1;
const CACHE_DIR = "/var/cache/machina-test";
const BUILDER = path.join(path.dirname(fileURLToPath(import.meta.url)), "build-container-tree.js");

/** Why containers cannot run on this machine, or undefined when they can. */
export function containerSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "systemd container: needs root (CAP_SYS_ADMIN) to boot systemd in systemd-nspawn";
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1];
  const CAP_SYS_ADMIN = 21n;
  if (capEff === undefined || ((BigInt(`0x${capEff}`) >> CAP_SYS_ADMIN) & 1n) === 0n) {
    return "systemd container: no CAP_SYS_ADMIN here, so systemd cannot be booted in systemd-nspawn";
  }
  return undefined;
}

/** The mirror apt uses here (deb822 sources first, then sources.list), for debootstrap. */
function aptMirror(): string {
  const sources = "/etc/apt/sources.list.d/debian.sources";
  if (fs.existsSync(sources)) {
    for (const stanza of fs.readFileSync(sources, "utf8").split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.*)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? [];
      // The main archive, not the security one.
      if (uri && suites.some((s) => !/-(security|updates|backports)$/.test(s))) return uri;
    }
  }
  const list = fs.existsSync("/etc/apt/sources.list") ? fs.readFileSync("/etc/apt/sources.list", "utf8") : "";
  return /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/m.exec(list)?.[1] ?? "http://deb.debian.org/debian";
}

/** The shared tree (the overlays' lower layer), built and cached when absent. */
async function sharedTree(): Promise<string> {
  const key = createHash("sha256")
    .update(JSON.stringify({ RECIPE_VERSION, SUITE, packages: [...CONTAINER_PACKAGES].sort() }))
    .digest("hex")
    .slice(0, 16);
  const tarball = path.join(CACHE_DIR, `systemd-${SUITE}-${key}.tar`);
  const tree = path.join(CACHE_DIR, `systemd-${SUITE}-${key}`);
  if (fs.existsSync(tarball) && fs.existsSync(tree)) return tree;
  fs.mkdirSync(CACHE_DIR, { recursive: true, mode: 0o755 });
  const recipe = { cacheDir: CACHE_DIR, tarball, tree, suite: SUITE, mirror: aptMirror(), packages: CONTAINER_PACKAGES };
  // flock(1): the kernel drops the lock when the holder dies, however it dies.
  const r = await runCommand("flock", ["--exclusive", path.join(CACHE_DIR, "build.lock"), process.execPath, BUILDER, JSON.stringify(recipe)], { timeoutMs: 30 * 60_000 });
  // Rare (a fresh machine, a new recipe) and slow: say what took the time.
  process.stderr.write(r.stderr);
  if (r.code !== 0) throw new Error(`building the systemd container tree failed (exit ${r.code ?? r.signal}); see above`);
  return tree;
}

/**
 * Run by `unshare -m` as the namespace's first process. Mounts /run and the
 * overlay, starts nspawn in the container's cgroups, says "nspawn PID", then
 * waits for stdin to close and tears everything down.
 */
const SUPERVISOR = `set -u
name=$1 inst=$2 lower=$3; shift 3
root=$inst/root
# The container's cgroups: the named systemd and the unified hierarchy on a hybrid host (as here),
# the one cgroup2 hierarchy on a unified host (untested here).
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then un=/sys/fs/cgroup/$name cgs=$un
else un=/sys/fs/cgroup/unified/$name cgs="/sys/fs/cgroup/systemd/$name $un"; fi
mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$inst/upper,workdir=$inst/work" "$root" || exit 1
mkdir $cgs || exit 1
sh -c 'for cg in $1; do echo $$ >"$cg/cgroup.procs" || exit 1; done; shift; exec "$@"' cgroup "$cgs" \\
  systemd-nspawn -b -D "$root" --register=no --keep-unit --private-network --console=pipe -M "$name" "$@" \\
  </dev/null >"$inst/console.log" 2>&1 &
nspawn=$!
echo "nspawn $nspawn"
read -r _ || true
kill -TERM "$nspawn" 2>/dev/null
i=0
while kill -0 "$nspawn" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i+1)); done
# Whatever is left in the container's cgroup (nspawn killed, a hung poweroff) is killed.
if [ -e "$un/cgroup.kill" ]; then echo 1 >"$un/cgroup.kill"; else find "$un" -name cgroup.procs -exec cat {} + | xargs -r kill -KILL; fi
wait "$nspawn" 2>/dev/null
i=0
while grep -q '^populated 1' "$un/cgroup.events" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
find $cgs -depth -type d -exec rmdir {} + 2>/dev/null
umount "$root"
rm -rf --one-file-system "$inst"
`;

let instances = 0;

export interface ContainerOptions {
  /** Files to place in the container before it boots (absolute paths inside it → text). */
  files?: Record<string, string>;
  /** Host paths bound read-write at the same path inside. */
  binds?: string[];
  /** Host paths bound read-only at the same path inside. */
  readOnlyBinds?: string[];
}

export class SystemdContainer {
  /** The container's system bus, as a D-Bus address the host can use. */
  readonly busAddress: string;
  private nspawnPid = 0;
  private pid1Value = 0;
  private exited = false;

  private constructor(
    readonly name: string,
    /** The instance directory (upper layer, work dir, mount point, shared dir). */
    readonly dir: string,
    /** The host directory the container sees at /run/host-share. */
    readonly share: string,
    private readonly supervisor: ChildProcess,
  ) {
    this.busAddress = `unix:path=${path.join(share, "system_bus_socket")}`;
    supervisor.once("exit", () => (this.exited = true));
  }

  /** Boots a container and resolves once systemd reports the system `running`. */
  static async boot(options: ContainerOptions = {}): Promise<SystemdContainer> {
    const skip = containerSkipReason();
    if (skip) throw new Error(skip);
    const lower = await sharedTree();
    const name = `machina-ct-${process.pid}-${++instances}`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
    // Readable by everyone: non-root test clients reach the bus socket below it.
    fs.chmodSync(dir, 0o755);
    const share = path.join(dir, "share");
    for (const d of ["upper", "work", "root", "share"]) fs.mkdirSync(path.join(dir, d), { mode: 0o755 });
    const files: Record<string, string> = {
      "/etc/systemd/system/dbus.socket.d/host-share.conf": "# machina's test container: the system bus, reachable from the host\n[Socket]\nListenStream=/run/host-share/system_bus_socket\n",
      ...options.files,
    };
    for (const [file, text] of Object.entries(files)) {
      const target = path.join(dir, "upper", file);
      mkdirsLike(path.dirname(file), lower, path.join(dir, "upper"));
      fs.writeFileSync(target, text, { mode: 0o644 });
    }
    const nspawnArgs = [`--bind=${share}:/run/host-share`, ...(options.binds ?? []).map((b) => `--bind=${b}`), ...(options.readOnlyBinds ?? []).map((b) => `--bind-ro=${b}`)];
    const supervisor = spawn("unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", SUPERVISOR, "supervisor", name, dir, lower, ...nspawnArgs], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { PATH: SYSTEM_PATH, LANG: "C.UTF-8" },
    });
    const c = new SystemdContainer(name, dir, share, supervisor);
    let supervisorOutput = "";
    supervisor.stderr.setEncoding("utf8").on("data", (s: string) => (supervisorOutput += s));
    supervisor.stdout.setEncoding("utf8").on("data", (s: string) => {
      supervisorOutput += s;
      const m = /^nspawn (\d+)$/m.exec(supervisorOutput);
      if (m) c.nspawnPid = Number(m[1]);
    });
    // The supervisor tears down when this process's end of its stdin closes (also when this process
    // exits): it never keeps the test process alive.
    unrefSupervisor(supervisor);
    try {
      await c.waitUntilRunning(() => supervisorOutput);
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  /** systemd's pid as the host numbers it (for nsenter and /proc/PID/root). */
  get pid1(): number {
    return this.pid1Value;
  }

  /** A path inside the container as the host reaches it (through PID 1's root). */
  path(file: string): string {
    return `/proc/${this.pid1}/root${file}`;
  }

  /** What the container printed (systemd's console), for failure messages. */
  console(): string {
    try {
      return fs.readFileSync(path.join(this.dir, "console.log"), "utf8");
    } catch {
      return "(no console output)";
    }
  }

  /**
   * Runs a program inside the container (all its namespaces, root's
   * environment), optionally as another user through setpriv.
   */
  exec(args: string[], options: CommandOptions & { user?: string } = {}): Promise<RunResult> {
    const argv = options.user ? setprivByNameArgv(options.user, args) : args;
    return runCommand("nsenter", ["-t", String(this.pid1), "-a", "--", "/usr/bin/env", "-i", `PATH=${SYSTEM_PATH}`, "LANG=C.UTF-8", ...argv], {
      cwd: "/",
      timeoutMs: 60_000,
      ...options,
    });
  }

  /** Like exec, failing with the output when the program does not exit 0. */
  async check(args: string[], options: CommandOptions & { user?: string } = {}): Promise<string> {
    const r = await this.exec(args, options);
    if (r.code !== 0) throw new Error(`in the container: ${args.join(" ")}: exit ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  /** Opens a connection to the container's system bus (the caller disconnects it). */
  bus(): dbus.MessageBus {
    return dbus.sessionBus({ busAddress: this.busAddress });
  }

  /** Powers the container off and waits until everything it had is gone. */
  async stop(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise((resolve) => this.supervisor.once("exit", resolve));
      this.supervisor.ref();
      this.supervisor.stdin!.end();
      await gone;
    }
  }

  private async waitUntilRunning(output: () => string): Promise<void> {
    const describe = () => `--- supervisor ---\n${output()}--- console ---\n${this.console()}`;
    const socket = path.join(this.share, "system_bus_socket");
    await waitFor(
      () => {
        if (this.exited) throw new Error(`the container exited while booting\n${describe()}`);
        return fs.existsSync(socket) && this.nspawnPid !== 0;
      },
      "the container's system bus socket",
      describe,
      120_000,
    );
    let state = "";
    await waitFor(
      async () => {
        if (this.exited) throw new Error(`the container exited while booting\n${describe()}`);
        state = await systemState(this.busAddress).catch((e: Error) => `(${e.message})`);
        if (state === "degraded") throw new Error(`the container booted degraded: ${await this.check(["systemctl", "--failed", "--no-legend"]).catch(() => "")}\n${describe()}`);
        return state === "running";
      },
      "systemd in the container to be running",
      () => `SystemState: ${state}\n${describe()}`,
      120_000,
    );
    this.pid1Value = containerInit(this.nspawnPid);
  }
}

function unrefSupervisor(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
}

/** systemd's Manager.SystemState over a bus address. */
async function systemState(busAddress: string): Promise<string> {
  const bus = dbus.sessionBus({ busAddress });
  const failed = new Promise<never>((_, reject) => bus.on("error", reject));
  try {
    const reply = await Promise.race([
      bus.call(
        new dbus.Message({
          destination: "org.freedesktop.systemd1",
          path: "/org/freedesktop/systemd1",
          interface: "org.freedesktop.DBus.Properties",
          member: "Get",
          signature: "ss",
          body: ["org.freedesktop.systemd1.Manager", "SystemState"],
        }),
      ),
      failed,
    ]);
    return String((reply?.body[0] as dbus.Variant).value);
  } finally {
    bus.disconnect();
  }
}

/** The container's PID 1 (as the host numbers it): nspawn's child that is pid 1 in its own namespace. */
function containerInit(nspawn: number): number {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, "utf8");
      if (Number(/^PPid:\s*(\d+)$/m.exec(status)?.[1]) === nspawn && /^NSpid:\s*\d+\s+1$/m.test(status)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`systemd-nspawn (pid ${nspawn}) has no child that is PID 1 of a container`);
}

/** Creates `dir` (absolute, inside the container) below `upper` with the owner and mode the lower tree has, as overlayfs would on copy-up. */
function mkdirsLike(dir: string, lower: string, upper: string): void {
  let rel = "";
  for (const part of dir.split("/").filter(Boolean)) {
    rel = `${rel}/${part}`;
    const target = path.join(upper, rel);
    if (fs.existsSync(target)) continue;
    const st = fs.statSync(path.join(lower, rel), { throwIfNoEntry: false });
    fs.mkdirSync(target, { mode: st ? st.mode & 0o7777 : 0o755 });
    if (st) {
      fs.chmodSync(target, st.mode & 0o7777);
      fs.chownSync(target, st.uid, st.gid);
    }
  }
}

