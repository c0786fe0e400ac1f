#!/usr/bin/env node
// The smallest useful machina client: what a web panel does on one page load.
// Reads the hostname and the hosts table, then previews (without writing) an
// added hosts entry, and shows a refusal. `npm start` runs it; to run it again against that
// daemon, in the checkout, with the `export MACHINA_SOCKET=… MACHINA_SECRET_FILE=…` npm start prints:
//   node examples/hello-client.mjs
import { connect, PolicyDeniedError } from "@machina/client";

// The socket and the secret file: $MACHINA_SOCKET and $MACHINA_SECRET_FILE, else machinad's
// defaults (/run/machina/machina.sock, /etc/machina/secret).
const m = await connect();
try {
  console.log(`connected to ${m.server.name}`);

  const { value: hostname } = await m.augeas.get({ path: "/files/etc/hostname/hostname" });
  console.log(`hostname: ${hostname}`);

  // Every hosts entry has an ipaddr node; its parent is the entry.
  const { paths } = await m.augeas.match({ path: "/files/etc/hosts/*/ipaddr" });
  for (const ipaddr of paths) {
    const entry = ipaddr.slice(0, ipaddr.lastIndexOf("/"));
    const { value: ip } = await m.augeas.get({ path: ipaddr });
    const { value: name } = await m.augeas.get({ path: `${entry}/canonical` });
    console.log(`  ${ip?.padEnd(16)} ${name}`);
  }

  // Preview a change: the daemon computes the diff and writes nothing.
  const preview = await m.augeas.apply({
    preview: true,
    changes: [
      { op: "set", path: "/files/etc/hosts/01/ipaddr", value: "192.168.1.20" },
      { op: "set", path: "/files/etc/hosts/01/canonical", value: "printer.lan" },
    ],
  });
  for (const change of preview.changes) console.log(change.diff);

  // The policy makes sshd_config's Port read-only: the daemon says so, clearly.
  try {
    await m.augeas.set({ path: "/files/etc/ssh/sshd_config/Port", value: "2222" });
  } catch (e) {
    if (!(e instanceof PolicyDeniedError)) throw e;
    console.log(`refused, as the policy says: ${e.message}`);
  }
} finally {
  await m.close();
}
