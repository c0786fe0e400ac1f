/**
 * The table `npm run bench` prints, the ratios a reader cares about (each
 * against its target, when it has one), and the JSON file.
 */
import fs from "node:fs";
import os from "node:os";
import { SCENARIOS, type Results, type ScenarioName } from "./results.js";
import { round } from "./stats.js";

export interface Ratio {
  name: string;
  value: number;
  unit: "×" | "ms" | "%" | "MB";
  /** The target, when there is one: the value must be ≤ (or ≥) it. */
  target?: { op: "<=" | ">="; value: number };
  met?: boolean;
}

function p50(results: Results, name: ScenarioName): number {
  const v = results[name]?.p50_us;
  if (v === undefined) throw new Error(`${name} has no p50`);
  return v;
}

function ops(results: Results, name: ScenarioName): number {
  const v = results[name]?.ops_per_s;
  if (v === undefined) throw new Error(`${name} has no ops_per_s`);
  return v;
}

function ratio(name: string, value: number, unit: Ratio["unit"], target?: Ratio["target"]): Ratio {
  const r: Ratio = { name, value: round(value), unit };
  if (target) {
    r.target = target;
    r.met = target.op === "<=" ? value <= target.value : value >= target.value;
  }
  return r;
}

export function ratios(results: Results): Ratio[] {
  const soak = results.soak!;
  return [
    ratio("binding.get / c.get (p50)", p50(results, "binding.get") / p50(results, "c.get"), "×", { op: "<=", value: 1.2 }),
    ratio("broker.get.rtt / echo.rtt (p50)", p50(results, "broker.get.rtt") / p50(results, "echo.rtt"), "×", { op: "<=", value: 1.5 }),
    ratio("broker.get.pipelined / echo.pipelined (ops/s)", ops(results, "broker.get.pipelined") / ops(results, "echo.pipelined"), "×", { op: ">=", value: 0.3 }),
    ratio("broker.setsave.rtt (p50)", p50(results, "broker.setsave.rtt") / 1000, "ms", { op: "<=", value: 2 }),
    ratio("broker.handshake / echo.rtt (p50)", p50(results, "broker.handshake") / p50(results, "echo.rtt"), "×", { op: "<=", value: 8 }),
    ratio("coldstart / augtool.get (p50)", p50(results, "coldstart") / p50(results, "augtool.get"), "×", { op: "<=", value: 0.35 }),
    ratio("cli.get / augtool.get (p50)", p50(results, "cli.get") / p50(results, "augtool.get"), "×", { op: "<=", value: 0.3 }),
    ratio("cli.get / node.start (p50)", p50(results, "cli.get") / p50(results, "node.start"), "×", { op: "<=", value: 1.6 }),
    ratio("client.import − node.start (p50)", (p50(results, "client.import") - p50(results, "node.start")) / 1000, "ms", { op: "<=", value: 50 }),
    ratio("service.restart / dbus.restart (p50)", p50(results, "service.restart") / p50(results, "dbus.restart"), "×", { op: "<=", value: 1.2 }),
    ratio("soak growth (rss after soakFirst → total calls)", ((soak.rss_mb_after! - soak.rss_mb!) / soak.rss_mb!) * 100, "%", { op: "<=", value: 10 }),
    ratio("idle RSS of machinad", results.idle!.rss_mb!, "MB", { op: "<=", value: 50 }),
    ratio("cli.get / augtool.get.careful (p50): the careful sudo script, one lens", p50(results, "cli.get") / p50(results, "augtool.get.careful"), "×"),
    ratio("augtool.print / panel.hosts (p50): the Hosts page, by augtool vs through the broker", p50(results, "augtool.print") / p50(results, "panel.hosts"), "×"),
    ratio("augtool.print.careful / panel.hosts (p50)", p50(results, "augtool.print.careful") / p50(results, "panel.hosts"), "×"),
    ratio("augeas.get.host − augeas.get.inprocess (p50): what the host process adds to a call", (p50(results, "augeas.get.host") - p50(results, "augeas.get.inprocess")) / 1000, "ms"),
    ratio("augeas.get.thread − augeas.get.inprocess (p50): what a worker thread would add instead", (p50(results, "augeas.get.thread") - p50(results, "augeas.get.inprocess")) / 1000, "ms"),
    ratio("broker.setsave.rtt − c.setsave (p50): what machinad adds to libaugeas' own set + save", (p50(results, "broker.setsave.rtt") - p50(results, "c.setsave")) / 1000, "ms"),
    ratio("augtool.get / broker.get.rtt (p50): a click, by augtool vs through the broker", p50(results, "augtool.get") / p50(results, "broker.get.rtt"), "×"),
    ratio("augtool.get / broker.handshake (p50): even with a new session per click", p50(results, "augtool.get") / p50(results, "broker.handshake"), "×"),
  ];
}

function fmt(x: number | undefined): string {
  if (x === undefined) return "";
  return x >= 1000 ? Math.round(x).toLocaleString("en-US") : String(x);
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
}

/** The scenario table and the ratio table, as printed. */
export function formatReport(results: Results, rs: Ratio[]): string {
  const head = ["scenario", "p50 µs", "p99 µs", "ops/s", "RSS MB"];
  const rows = SCENARIOS.map((name) => {
    const r = results[name] ?? {};
    const rss = r.rss_mb_after !== undefined ? `${fmt(r.rss_mb)} → ${fmt(r.rss_mb_after)}` : fmt(r.rss_mb);
    return [name, fmt(r.p50_us), fmt(r.p99_us), fmt(r.ops_per_s), rss];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const lines = [pad(head, widths), ...rows.map((r) => pad(r, widths)), ""];
  const rhead = ["ratio", "value", "target", ""];
  const rrows = rs.map((r) => [
    r.name,
    `${fmt(r.value)}${r.unit === "×" ? "×" : ` ${r.unit}`}`,
    r.target ? `${r.target.op === "<=" ? "≤" : "≥"} ${r.target.value}${r.unit === "×" ? "×" : ` ${r.unit}`}` : "",
    r.met === undefined ? "" : r.met ? "met" : "MISSED",
  ]);
  const rwidths = rhead.map((h, i) => Math.max(h.length, ...rrows.map((r) => r[i]!.length)));
  lines.push(pad(rhead, rwidths), ...rrows.map((r) => pad(r, rwidths)));
  return lines.join("\n");
}

/** Where the numbers came from. */
export function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

export function writeJson(file: string, results: Results, rs: Ratio[], quick: boolean): void {
  const doc = { results, ratios: rs, machine: machine(), quick, date: new Date().toISOString() };
  fs.writeFileSync(file, JSON.stringify(doc, null, 2) + "\n");
}
