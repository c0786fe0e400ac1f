/** The panel's command line and environment, parsed into one typed object. */
import fs from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";

export interface PanelConfig {
  listen: string;
  port: number;
  socket: string | undefined;
  secretFile: string | undefined;
  /** The uid that must own the daemon's socket directory; null: do not check (sandboxes). */
  socketOwner: number | null | undefined;
  /** The admin password, or its `scrypt$…` hash. */
  passwordSecret: string;
  title: string;
  allowedHosts: string[];
  secureCookie: boolean;
  allowRoot: boolean;
}

export const USAGE = `usage: machina-web-panel [options]
       machina-web-panel hash-password      (reads a password on stdin, prints its scrypt hash)

  --listen ADDR          address to listen on (default 127.0.0.1)
  --port N               port (default 8080; 0 picks a free one)
  --socket PATH          machinad's socket (default $MACHINA_SOCKET, else /run/machina/machina.sock)
  --secret-file FILE     machinad's shared secret (default $MACHINA_SECRET_FILE, else /etc/machina/secret)
  --socket-owner UID|any owner required of the socket's directory (default 0; "any" for sandboxes)
  --password-file FILE   the admin password or its hash (default $MACHINA_PANEL_PASSWORD_FILE;
                         or the password itself in $MACHINA_PANEL_PASSWORD)
  --title TEXT           name shown in the header (default: this machine's hostname)
  --allowed-host NAME    host name the panel answers to (repeatable; default: the listen
                         address and localhost when listening on loopback, any otherwise)
  --secure-cookie        mark the session cookie Secure (behind an HTTPS proxy)
  --allow-root           run even as root (not recommended: the panel needs no privilege)`;

export class ConfigError extends Error {}

function readSecretFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read the password file ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const line = text.split("\n")[0]!.replace(/\r$/, "");
  if (line === "") throw new ConfigError(`the password file ${file} is empty`);
  return line;
}

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): PanelConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        listen: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "8080" },
        socket: { type: "string" },
        "secret-file": { type: "string" },
        "socket-owner": { type: "string" },
        "password-file": { type: "string" },
        title: { type: "string" },
        "allowed-host": { type: "string", multiple: true, default: [] },
        "secure-cookie": { type: "boolean", default: false },
        "allow-root": { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const v = parsed.values;
  const port = Number(v.port);
  if (!/^[0-9]{1,5}$/.test(v.port) || port > 65535) throw new ConfigError(`--port must be a port number, not ${v.port}`);

  const passwordFile = v["password-file"] ?? env["MACHINA_PANEL_PASSWORD_FILE"];
  const passwordSecret = passwordFile ? readSecretFile(passwordFile) : env["MACHINA_PANEL_PASSWORD"];
  if (!passwordSecret) throw new ConfigError("no admin password: give --password-file FILE, $MACHINA_PANEL_PASSWORD_FILE or $MACHINA_PANEL_PASSWORD");

  let socketOwner: number | null | undefined;
  const owner = v["socket-owner"];
  if (owner === "any") socketOwner = null;
  else if (owner !== undefined) {
    if (!/^[0-9]+$/.test(owner)) throw new ConfigError(`--socket-owner must be a uid or "any", not ${owner}`);
    socketOwner = Number(owner);
  }

  const listen = v.listen;
  const loopback = listen === "127.0.0.1" || listen === "::1" || listen === "localhost";
  const allowedHosts = v["allowed-host"].length > 0 ? v["allowed-host"] : loopback ? [listen === "::1" ? "[::1]" : listen, "localhost", "127.0.0.1"] : [];

  return {
    listen,
    port,
    socket: v.socket,
    secretFile: v["secret-file"],
    socketOwner,
    passwordSecret,
    title: v.title ?? os.hostname(),
    allowedHosts: [...new Set(allowedHosts.map((h) => h.toLowerCase()))],
    secureCookie: v["secure-cookie"],
    allowRoot: v["allow-root"],
  };
}
