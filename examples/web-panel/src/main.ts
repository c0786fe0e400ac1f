#!/usr/bin/env node
/**
 * machina-web-panel: the example web control panel. Runs as an unprivileged
 * user and talks to machinad only through @machina/client.
 */
import { DaemonLink } from "./daemon-link.js";
import { ConfigError, USAGE, parseConfig } from "./config.js";
import type { Panel } from "./context.js";
import { Features } from "./features.js";
import { Jobs } from "./jobs.js";
import { logError, logInfo } from "./log.js";
import { LoginThrottle } from "./login-throttle.js";
import { formatPasswordHash, hashPassword, passwordHashFromSecret } from "./password.js";
import { createServer } from "./server.js";
import { SessionStore } from "./sessions.js";

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8").split("\n")[0]!.replace(/\r$/, "");
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "hash-password") {
    const password = await readStdinLine();
    if (password === "") {
      process.stderr.write("machina-web-panel: no password on stdin\n");
      return 2;
    }
    process.stdout.write(`${formatPasswordHash(await hashPassword(password))}\n`);
    return 0;
  }
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config;
  try {
    config = parseConfig(argv, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`machina-web-panel: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (process.getuid?.() === 0 && !config.allowRoot) {
    process.stderr.write("machina-web-panel: refusing to run as root: the panel needs no privilege (run it as www-data or similar; --allow-root overrides)\n");
    return 2;
  }
  let passwordHash;
  try {
    passwordHash = await passwordHashFromSecret(config.passwordSecret);
  } catch (error) {
    process.stderr.write(`machina-web-panel: ${(error as Error).message}\n`);
    return 2;
  }
  config.passwordSecret = "";

  const link = new DaemonLink({
    connect: {
      ...(config.socket !== undefined ? { socket: config.socket } : {}),
      ...(config.secretFile !== undefined ? { secretFile: config.secretFile } : {}),
      ...(config.socketOwner !== undefined ? { trustedSocketOwner: config.socketOwner } : {}),
    },
  });
  const panel: Panel = {
    link,
    features: new Features(link),
    jobs: new Jobs(),
    title: config.title,
    auth: { passwordHash, sessions: new SessionStore(config.secureCookie), throttle: new LoginThrottle() },
  };
  const server = createServer({ panel, allowedHosts: config.allowedHosts });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.listen, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.listen.includes(":") ? `[${config.listen}]` : config.listen;
  // The one stdout line: scripts (npm start, the tests) read the URL from it.
  process.stdout.write(`machina web panel listening on http://${host}:${port}/\n`);
  logInfo(`serving as uid ${process.getuid?.() ?? "?"}; daemon socket ${config.socket ?? process.env["MACHINA_SOCKET"] ?? "(default)"}`);

  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  server.close();
  server.closeAllConnections();
  await link.close().catch(() => undefined);
  return 0;
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    logError("machina-web-panel failed", error);
    process.exit(1);
  },
);
