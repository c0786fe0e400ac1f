/**
 * The paths a policy names below --root (an Augeas file, a service's log
 * file): absolute, normalised, and made of plain characters — nothing a
 * path could be steered with, and nothing libaugeas' path language would need
 * escaped except ','.
 */

/** File path components allowed: letters, digits and `_ . @ + ~ : , # -`. */
const FILE_COMPONENT = /^[A-Za-z0-9_.@+~:,#-]+$/;

/** Why `p` is not such a path ("must be absolute", …), or undefined when it is one. */
export function policyPathProblem(p: string): string | undefined {
  if (!p.startsWith("/")) return "must be absolute";
  if (p.length > 1024) return "is too long";
  if (p.endsWith("/")) return "must not end with '/'";
  if (p.includes("//")) return "must not contain '//'";
  const components = p.split("/").slice(1);
  if (components.some((c) => /^\.+$/.test(c))) return "must be normalised (no '.' or '..' components)";
  if (components.some((c) => !FILE_COMPONENT.test(c))) return "may only hold letters, digits and _ . @ + ~ : , # - in each component";
  return undefined;
}
