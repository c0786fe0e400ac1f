/**
 * supervisord's XML-RPC interface over its Unix socket: `POST /RPC2` with a
 * `text/xml` body (supervisor-xmlrpc.ts), one connection per call, optional
 * HTTP Basic credentials.
 *
 * The credentials come from a file named by the daemon's options
 * (`--supervisor-auth-file`), never from the policy, which a panel may be
 * shown: one line `USERNAME:PASSWORD`, as supervisord's `[unix_http_server]`
 * has them (the password in clear). The file must be root's alone (a regular
 * file, not a link, owned by root, no access for group or others); it is read
 * again for every call, so a changed password needs no restart.
 *
 * Before every call the socket must be one only root could have put there
 * (owned by root, in directories only root can change): the credentials go to
 * whoever listens on it, and what it answers becomes the status the panel shows.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { TimeoutFault } from "../faults.js";
import { untrustedAncestorBecause } from "../trusted-path.js";
import { decodeMethodResponse, encodeMethodCall, type XmlRpcValue } from "./supervisor-xmlrpc.js";

/** supervisord's socket on Debian (`[unix_http_server] file=` in /etc/supervisor/supervisord.conf). */
export const DEFAULT_SUPERVISOR_SOCKET = "/var/run/supervisor.sock";

/** The largest answer read (getAllProcessInfo is about 600 bytes a process). */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** Why supervisord could not be asked; the message (paths included) is for the daemon's log only. */
export class SupervisorUnavailable extends Error {
  override readonly name = "SupervisorUnavailable";
  constructor(
    /** `unreachable`: no socket or no answer (may pass); the others need an administrator. */
    readonly reason: "unreachable" | "untrusted-socket" | "credentials" | "unauthorised" | "bad-answer",
    message: string,
  ) {
    super(message);
  }
}

export interface SupervisorCredentials {
  username: string;
  password: string;
}

export interface SupervisorRpcOptions {
  socketPath: string;
  /** The credentials file; none: supervisord asks for none. */
  authFile?: string;
  timeoutMs: number;
}

export class SupervisorRpc {
  constructor(private readonly options: SupervisorRpcOptions) {}

  get socketPath(): string {
    return this.options.socketPath;
  }

  /** Calls `method`; resolves to its value, rejects with an XmlRpcFault, a SupervisorUnavailable or a TimeoutFault. */
  async call(method: string, params: readonly XmlRpcValue[]): Promise<XmlRpcValue> {
    const untrusted = untrustedSocketBecause(this.options.socketPath);
    if (untrusted) throw new SupervisorUnavailable(untrusted.startsWith("no socket") ? "unreachable" : "untrusted-socket", `supervisord's socket ${this.options.socketPath} ${untrusted}`);
    const credentials = this.options.authFile === undefined ? undefined : readSupervisorCredentials(this.options.authFile);
    const body = Buffer.from(encodeMethodCall(method, params), "utf8");
    const answer = await this.post(body, credentials);
    return decodeMethodResponse(answer);
  }

  private post(body: Buffer, credentials: SupervisorCredentials | undefined): Promise<string> {
    const { socketPath, timeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { "Content-Type": "text/xml", "Content-Length": body.length, Connection: "close" };
      if (credentials) headers.Authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, "utf8").toString("base64")}`;
      const req = http.request({ socketPath, path: "/RPC2", method: "POST", headers, agent: false });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new TimeoutFault(timeoutMs, `supervisord did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const fail = (e: Error) => {
        clearTimeout(timer);
        reject(e);
      };
      req.on("error", (e: NodeJS.ErrnoException) => fail(new SupervisorUnavailable("unreachable", `cannot reach supervisord on ${socketPath}: ${e.code ?? e.message}`)));
      req.on("response", (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          const reason = res.statusCode === 401 ? "unauthorised" : "bad-answer";
          fail(new SupervisorUnavailable(reason, `supervisord on ${socketPath} answered HTTP ${res.statusCode}${reason === "unauthorised" ? " (check the credentials file, --supervisor-auth-file)" : ""}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy();
            fail(new SupervisorUnavailable("bad-answer", `supervisord's answer exceeded ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on("error", (e) => fail(new SupervisorUnavailable("unreachable", `supervisord's answer broke off: ${e.message}`)));
        res.on("end", () => {
          clearTimeout(timer);
          resolve(new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks)));
        });
      });
      req.end(body);
    });
  }
}

/** Why the socket could have been put there by someone other than root, or undefined; "no socket …" when it is not there. */
function untrustedSocketBecause(socketPath: string): string | undefined {
  const st = fs.lstatSync(socketPath, { throwIfNoEntry: false });
  if (!st) return "no socket there (is supervisord running?)";
  if (!st.isSocket()) return `is not a socket${st.isSymbolicLink() ? " (a symbolic link)" : ""}`;
  const uid = process.geteuid?.() ?? 0;
  if (st.uid !== 0 && st.uid !== uid) return `is owned by uid ${st.uid}, not root`;
  const dir = untrustedAncestorBecause(fs.realpathSync(path.dirname(socketPath)));
  return dir ? `is below ${dir}` : undefined;
}

/**
 * Reads and checks the credentials file; throws SupervisorUnavailable
 * (`credentials`) saying what is wrong. `machinad run` calls it at start-up
 * so that a bad file stops the daemon with that message.
 */
export function readSupervisorCredentials(file: string): SupervisorCredentials {
  const bad = (why: string) => new SupervisorUnavailable("credentials", `supervisord credentials file ${file} ${why}`);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw bad(code === "ELOOP" ? "is a symbolic link; refusing it" : `cannot be read (${code ?? "error"})`);
  }
  try {
    const st = fs.fstatSync(fd);
    const uid = process.geteuid?.() ?? 0;
    if (!st.isFile()) throw bad("is not a regular file");
    if (st.uid !== 0 && st.uid !== uid) throw bad(`is owned by uid ${st.uid}; it must be root's`);
    if (st.mode & 0o077) throw bad(`is open to group or others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
    if (st.size > 4096) throw bad("is larger than 4 KiB; it holds one line, USERNAME:PASSWORD");
    const text = fs.readFileSync(fd, "utf8");
    const lines = text.split("\n");
    const line = lines[0]!.replace(/\r$/, "");
    if (lines.slice(1).some((l) => l.trim() !== "")) throw bad("has more than one line; it holds one line, USERNAME:PASSWORD");
    const colon = line.indexOf(":");
    if (colon <= 0 || /[\x00-\x1f\x7f]/.test(line)) throw bad("is not one line USERNAME:PASSWORD");
    return { username: line.slice(0, colon), password: line.slice(colon + 1) };
  } finally {
    fs.closeSync(fd);
  }
}
