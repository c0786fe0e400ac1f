#!/usr/bin/env node
// The README's walk-through, "From zero to a button that restarts a service":
// one page showing a service's state with a Restart button, served by an
// unprivileged user (www-data) that may do exactly one thing through machinad.
//   SERVICE=myapp PORT=8081 node restart-button.mjs
// It has no login of its own: listen on 127.0.0.1 and put it behind your panel's.
import http from "node:http";
import { connect, MachinaError } from "@machina/client";

const service = process.env.SERVICE ?? "myapp";
const port = Number(process.env.PORT ?? 8081);

// machinad serves one session at a time: calls queue here, each on a short session
// (socket and secret from $MACHINA_SOCKET / $MACHINA_SECRET_FILE, else
// /run/machina/machina.sock and /etc/machina/secret), waiting a little if busy.
let queue = Promise.resolve();
function withMachina(fn) {
  const run = queue.then(async () => {
    const m = await connect({ waitIfBusyMs: 5000 });
    try {
      return await fn(m);
    } finally {
      await m.close();
    }
  });
  queue = run.catch(() => {});
  return run;
}

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

async function handle(req, res) {
  try {
    if (req.method === "POST" && req.url === "/restart") {
      await withMachina((m) => m.service.restart({ name: service }));
      res.writeHead(303, { location: "/" }).end();
      return;
    }
    if (req.method !== "GET" || req.url !== "/") {
      res.writeHead(404).end("not found\n");
      return;
    }
    const status = await withMachina((m) => m.service.status({ name: service }));
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(
      `<!doctype html><title>${escape(service)}</title>
<p>${escape(status.name)} is <b id="state">${escape(status.state)}</b>${status.since ? ` since ${escape(status.since)}` : ""}</p>
<form method="post" action="/restart"><button>Restart</button></form>\n`,
    );
  } catch (error) {
    // The daemon's refusals and failures carry a kind (policy-denied, backend-failed, …):
    // show it; anything else is this program's bug.
    const known = error instanceof MachinaError;
    res.writeHead(known ? 502 : 500, { "content-type": "text/plain; charset=utf-8" })
      .end(known ? `${error.kind}: ${error.message}\n` : "internal error\n");
    if (!known) console.error(error);
  }
}

http.createServer((req, res) => void handle(req, res))
  .listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}/`));
