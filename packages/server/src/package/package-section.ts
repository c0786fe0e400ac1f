/**
 * The policy's `[package]` table: the Debian packages a client may install or
 * remove, and whether it may update the package lists. Absent: no
 * `package.*` method is granted.
 */
import { PACKAGE_NAME_PATTERN } from "@machina/protocol";
import type { PolicyValidator, TomlTable } from "../policy/policy-validator.js";

export interface PackageSection {
  install: string[];
  remove: string[];
  update: boolean;
}

const PACKAGE_NAME = new RegExp(PACKAGE_NAME_PATTERN);

export function parsePackageSection(doc: TomlTable, v: PolicyValidator): PackageSection {
  const section: PackageSection = { install: [], remove: [], update: false };
  if (doc.package === undefined) return section;
  const t = v.table(doc.package, "package");
  if (!t) return section;
  v.keys(t, "package", ["install", "remove", "update"]);
  const isName = (s: string, k: string): boolean => {
    if (PACKAGE_NAME.test(s)) return true;
    v.error(k, `${JSON.stringify(s)} is not a Debian package name`);
    return false;
  };
  section.install = v.strings(t, "package", "install", [], isName);
  section.remove = v.strings(t, "package", "remove", [], isName);
  section.update = v.bool(t, "package", "update", false);
  return section;
}

export function explainPackageSection(pk: PackageSection): string[] {
  const lines = [
    "Packages:",
    `  install: ${pk.install.length ? pk.install.join(", ") : "none"}`,
    `  remove:  ${pk.remove.length ? pk.remove.join(", ") : "none"}`,
    `  update package lists: ${pk.update ? "yes" : "no"}`,
  ];
  if (pk.install.length || pk.remove.length) {
    lines.push("  (apt-get with an argument vector and a cleared environment; a removal that would take other packages with it,");
    lines.push("   and any change to machinad's own package (--self-package, default machina), is refused)");
  }
  return lines;
}
