/**
 * The timezone without systemd, the Debian way: `/etc/localtime` is a symlink
 * to `/usr/share/zoneinfo/ZONE` and `/etc/timezone` holds `ZONE\n` — both
 * below --root. Each is replaced atomically (a new file or link under a
 * random name in the same directory, then rename(2)), and `/etc` must be a
 * real directory inside the root: rename replaces a symlink itself, never
 * what it points to, so a planted `/etc/timezone -> /etc/shadow` is harmless,
 * but an `/etc` that is itself a link out of the root is refused.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Fault } from "../faults.js";
import type { TimezoneBackend } from "./timezone-backend.js";
import { ZONE_NAME, ZONEINFO_DIR } from "./zone-database.js";

export class FileTimezone implements TimezoneBackend {
  readonly kind = "files";

  constructor(
    private readonly root: string,
    private readonly zoneinfoDir = ZONEINFO_DIR,
  ) {}

  async get(): Promise<string | null> {
    const etc = path.join(this.root, "etc");
    // /etc/localtime is what the C library reads; /etc/timezone only mirrors it.
    try {
      const target = fs.readlinkSync(path.join(etc, "localtime"));
      const m = /(?:^|\/)zoneinfo\/(.+)$/.exec(target);
      if (m && ZONE_NAME.test(m[1]!)) return m[1]!;
    } catch {
      // Not a symlink, or missing: fall back to /etc/timezone.
    }
    try {
      const file = path.join(etc, "timezone");
      if (!fs.lstatSync(file).isFile()) return null;
      const zone = fs.readFileSync(file, "utf8").split("\n")[0]!.trim();
      return ZONE_NAME.test(zone) ? zone : null;
    } catch {
      return null;
    }
  }

  async set(zone: string): Promise<void> {
    const etc = this.etcDirectory();
    const tag = randomBytes(6).toString("hex");
    const tmpZone = path.join(etc, `.timezone.machina-${tag}`);
    const tmpLink = path.join(etc, `.localtime.machina-${tag}`);
    try {
      // "wx": O_CREAT|O_EXCL, which also refuses to follow a symlink planted at the name.
      const fd = fs.openSync(tmpZone, "wx", 0o644);
      try {
        fs.writeSync(fd, `${zone}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.symlinkSync(path.join(this.zoneinfoDir, zone), tmpLink);
      fs.renameSync(tmpLink, path.join(etc, "localtime"));
      fs.renameSync(tmpZone, path.join(etc, "timezone"));
      const dirFd = fs.openSync(etc, "r");
      try {
        fs.fsyncSync(dirFd);
      } finally {
        fs.closeSync(dirFd);
      }
    } catch (e) {
      throw new Fault("backend-failed", `could not update the timezone files: ${(e as NodeJS.ErrnoException).code ?? "error"}`, {
        backend: "timezone-files",
        retryable: false,
      });
    } finally {
      fs.rmSync(tmpZone, { force: true });
      fs.rmSync(tmpLink, { force: true });
    }
  }

  /** ROOT/etc, checked to be a real directory inside the root. */
  private etcDirectory(): string {
    const etc = path.join(this.root, "etc");
    let ok = false;
    try {
      ok = fs.lstatSync(etc).isDirectory() && fs.realpathSync(etc) === path.join(fs.realpathSync(this.root), "etc");
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new Fault("backend-failed", "/etc under the daemon's root is missing or not a plain directory inside it", {
        backend: "timezone-files",
        retryable: false,
      });
    }
    return etc;
  }
}
