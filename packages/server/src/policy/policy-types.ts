/*
 * The validated policy. Every field is filled in (defaults applied) so that
 * consumers never have to guess what an absent key means: absent sections
 * grant nothing. Besides `version`, `source` and `clients`, each field is one
 * capability module's section, named after the module (registry.ts).
 */
import type { PolicySections } from "../capability/registry.js";

/**
 * Who may connect besides root (SO_PEERCRED), by name or id. Both lists empty
 * means any local user: the table has to be written out to say so (a policy
 * without `[clients]` is refused), and checkPolicy warns.
 */
export interface ClientsRule {
  users: (string | number)[];
  groups: (string | number)[];
}

export type Policy = {
  version: 1;
  /** The file the policy came from (or the name given to parsePolicy). */
  source: string;
  clients: ClientsRule;
} & PolicySections;
