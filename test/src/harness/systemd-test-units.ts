/**
 * The units the systemd tests act on, as specs both ends understand: the fake
 * systemd (fake-systemd.ts) behaves as they say, and on a machine that runs
 * real systemd the same specs are written as unit files into
 * /run/systemd/system (runtime units, gone at reboot) — so one test suite runs
 * unchanged against either.
 */
export interface TestUnit {
  /** Unit file name; `x@.service` is a template whose every instance exists. */
  name: string;
  /** What starting does: run (default), fail at once, or never finish. */
  start?: "run" | "fail" | "hang";
  /** Has an ExecReload. */
  reload?: boolean;
}

export const TEST_UNITS: readonly TestUnit[] = [
  { name: "example@.service" },
  { name: "machina-reloadable.service", reload: true },
  { name: "machina-broken.service", start: "fail" },
  { name: "machina-slow.service", start: "hang" },
];

/** The unit file real systemd gets for a spec. */
export function unitFileText(u: TestUnit): string {
  const service =
    u.start === "fail"
      ? "Type=oneshot\nExecStart=/bin/false\n"
      : u.start === "hang"
        ? "Type=oneshot\nExecStart=/bin/sleep 3600\nTimeoutStartSec=infinity\n"
        : `ExecStart=/bin/sleep infinity\n${u.reload ? "ExecReload=/bin/true\n" : ""}`;
  return `# machina's integration tests (test/src/harness/systemd-test-units.ts); safe to delete.\n[Unit]\nDescription=machina test unit ${u.name}\n\n[Service]\n${service}`;
}
