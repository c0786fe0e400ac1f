/**
 * The Augeas vocabulary (`augeas.*`): reading and editing the configuration tree
 * the daemon loaded from the policy's `[[augeas.file]]` entries.
 *
 * Paths use a strict subset of Augeas' path language: absolute, starting
 * `/files/`; each step a label or `*`; predicates a positive integer, `last()`,
 * or `[REL = "literal"]` / `[REL != "literal"]` where REL is a relative label
 * path. Anything else (`..`, `.`, `//`, axes, variables, other functions, unions,
 * absolute paths inside predicates) is refused with `policy-denied`, naming the
 * offending part. Every path is authorised on the nodes it resolves to — and on
 * the nodes its predicates read — never on its spelling.
 *
 * Edits are made to the session's pending tree; nothing reaches disk until
 * `augeas.save` (or `augeas.apply` without `preview`). A session that ends
 * without saving leaves nothing pending for the next one.
 *
 * Files are byte-exact. libaugeas keeps labels and values as byte strings and
 * never checks that they are UTF-8 (a Latin-1 file holds `caf` 0xE9), so:
 *
 * - a **value** is a JSON string when its bytes are valid UTF-8 and
 *   `{ "base64": "…" }` (its exact bytes) when they are not — in every answer
 *   (`augeas.get`, a NodeChange's `before`/`after`); a client may send either
 *   form (`augeas.set`, `augeas.setm`, `augeas.apply`'s `set`/`setm`), so a value
 *   read can be written back unchanged (see AugeasValue; the codec is
 *   `valueFromBytes` / `bytesOfValue`);
 * - a **label** that is not ASCII is written in paths with `%HH` for each of
 *   its bytes from 0x80 to 0xFF (uppercase hex in answers, either case
 *   accepted): a Latin-1 section `[café]` of a php.ini is `/files/etc/php.ini/caf%E9`,
 *   a UTF-8 one `/files/etc/php.ini/caf%C3%A9`. Paths stay ASCII; `augeas.match`
 *   answers such paths and every method accepts them back, naming the same node
 *   (a literal `%` in a label is `\%`). Labels are compared as their bytes, so
 *   authorisation sees exactly the label the file holds;
 * - a file's **text diff** compares bytes, and shows a line that is not valid
 *   UTF-8 with `\xNN` escapes (see FileDiff). Saves write libaugeas' bytes as
 *   they are: an edit of one node leaves every other byte of the file unchanged.
 */
import { Type, type Static } from "@sinclair/typebox";
import { defineMethod } from "../method-spec.js";
import { StorableText } from "../storable-text.js";
import { BASE64_PATTERN } from "../encoding/base64.js";
import { AUGEAS_VALUE_MAX_BASE64, AUGEAS_VALUE_MAX_BYTES } from "../encoding/augeas-bytes.js";

/** A client path in the strict path language. */
export const AugeasPath = StorableText({
  description:
    'An Augeas path starting `/files/`, e.g. `/files/etc/hosts/*[canonical = "localhost"]/ipaddr`. ASCII only: a label\'s bytes ' +
    "from 0x80 to 0xFF are written `%HH` (`/files/etc/php.ini/caf%E9`; a literal `%` is `\\%`). No NUL and no lone surrogate (`invalid-params`).",
  minLength: 1,
  maxLength: 4096,
});

/** A node label (one path segment, no `/`). */
export const AugeasLabel = StorableText({
  description: "A node label: one segment, no `/`, e.g. `alias` or `#comment`. No NUL and no lone surrogate (`invalid-params`).",
  minLength: 1,
  maxLength: 1024,
});

/**
 * The byte form of a value, `{ "base64": "…" }`: exactly its bytes (standard
 * base64 with `=` padding, decoded strictly). Answers use it only for a value
 * whose bytes are not valid UTF-8 (a Latin-1 `café` is `{"base64": "Y2Fm6Q=="}`);
 * a client may send it for any value.
 */
export const AugeasBytes = Type.Object(
  {
    base64: Type.String({
      pattern: BASE64_PATTERN,
      maxLength: AUGEAS_VALUE_MAX_BASE64,
      description: `The value's bytes (at most ${AUGEAS_VALUE_MAX_BYTES}), standard base64 with padding; other characters, missing padding or non-zero spare bits are \`invalid-params\`.`,
    }),
  },
  { additionalProperties: false, description: "A value's exact bytes, for values that are not valid UTF-8 (see AugeasValue)." },
);

/**
 * A node value: a string when its bytes are valid UTF-8, `{ base64 }` (its
 * exact bytes) when they are not, `null` for a node without a value.
 */
export const AugeasValue = Type.Union([StorableText({ maxLength: AUGEAS_VALUE_MAX_BYTES }), AugeasBytes, Type.Null()], {
  description:
    "The node's value: a string when its bytes are valid UTF-8; `{\"base64\": …}` with its exact bytes when they are not " +
    "(answers use this form only then; a client may send either, and both mean the bytes they hold, so a value read is " +
    "written back unchanged); null for a node without one. libaugeas stores NUL-terminated byte strings: a value holding NUL " +
    "(in either form) or a lone surrogate (`\\ud800`) is refused with `invalid-params`, never stored altered.",
});

/** The unified diff of one file's pending change. */
/** One readable node a save would add, change or remove (see {@link FileDiff}'s `nodes` scope). */
export const NodeChange = Type.Object({
  node: Type.String({ description: "The node's path (`/files/etc/ssh/sshd_config/Port`; a label's bytes beyond ASCII as `%HH`)." }),
  before: Type.Union([Type.String(), AugeasBytes, Type.Null()], {
    description: "Its value on disk (a string, or `{ base64 }` when its bytes are not UTF-8, as AugeasValue); null when it has none or does not exist there.",
  }),
  after: Type.Union([Type.String(), AugeasBytes, Type.Null()], {
    description: "Its value after the save (a string, or `{ base64 }` when its bytes are not UTF-8); null when it has none or will not exist.",
  }),
  change: Type.Union([Type.Literal("added"), Type.Literal("changed"), Type.Literal("removed")]),
});
export type NodeChange = Static<typeof NodeChange>;

/**
 * What a save would change in one file, shown so that it cannot reveal a node
 * the client may not read:
 *
 * - scope `text`: the policy lets the client read every node of the file
 *   (its read patterns cover `**`), so `diff` is the unified diff of the
 *   file's text, as on disk and as a save would write it;
 * - scope `nodes`: some nodes of the file are not readable, so the text is
 *   never shown; `nodes` lists the readable nodes whose value or existence
 *   changes (nothing about unreadable ones), and `diff` renders that list in
 *   unified-diff form (`-NODE = value` / `+NODE = value`) for people.
 *
 * Both compare bytes, so a change of one byte that is not UTF-8 is a change.
 * A diff is text, and a file's bytes need not be: the `text` diff of a file
 * that is UTF-8 throughout (before and after) shows its lines as they are;
 * that of a file that is not shows every line escaped — each backslash as
 * `\\`, each byte outside a valid UTF-8 sequence as `\xNN` (uppercase hex) —
 * so that no two different lines look alike (`caf` 0xE9 is `caf\xE9`, the
 * text `caf\xE9` is `caf\\xE9`). In a `nodes` diff every value is quoted as a
 * JSON string, a value that is not UTF-8 with `\xNN` for those bytes
 * (`"caf\xE9"`), while `nodes` holds its exact bytes (`{ base64 }`). Such a
 * diff is for people; the bytes a save writes are libaugeas' own, never
 * these escapes.
 */
export const FileDiff = Type.Object({
  file: Type.String({ description: "The file, as the policy names it (e.g. `/etc/hosts`)." }),
  scope: Type.Union([Type.Literal("text"), Type.Literal("nodes")], {
    description: "`text`: `diff` is the file's text diff; `nodes`: the file has unreadable nodes, and only readable node changes are shown.",
  }),
  diff: Type.String({
    description:
      "Unified diff (`--- a/FILE`, `+++ b/FILE`): of the text (scope `text`) or of the readable nodes and their values (scope `nodes`). " +
      "For a file that is not valid UTF-8 every line is shown escaped: backslashes doubled, bytes outside valid UTF-8 as `\\xNN`.",
  }),
  nodes: Type.Optional(Type.Array(NodeChange, { description: "Scope `nodes` only: the readable nodes that change." })),
});
export type FileDiff = Static<typeof FileDiff>;

const NoParams = Type.Object({}, { additionalProperties: false });
const Empty = Type.Object({});

export const augeasGet = defineMethod({
  name: "augeas.get",
  summary: "Read the value of one node.",
  description:
    "Answers the value of the one node PATH resolves to (null when the node has no value; `{ base64 }` with its exact " +
    "bytes when they are not valid UTF-8, see AugeasValue). Refused with " +
    "`policy-denied` when the node is not readable, `not-found` when no node matches, and `augeas` (code " +
    "`EMMATCH`) when several do.",
  params: Type.Object({ path: AugeasPath }, { additionalProperties: false }),
  result: Type.Object({ value: AugeasValue }),
  capability: "augeas.read",
});

export const augeasMatch = defineMethod({
  name: "augeas.match",
  summary: "List the readable nodes a path matches.",
  description:
    "Answers the paths of every node PATH matches that the policy lets this client read; unreadable nodes " +
    "are left out silently. A predicate that would read an unreadable node is refused with `policy-denied`. " +
    "Each path names its node exactly and is accepted back by every method: a label's bytes beyond ASCII are " +
    "written `%HH` (`/files/etc/php.ini/caf%E9` for a Latin-1 section `[café]`). A readable node whose label no " +
    "client path can spell (one holding a control character, or `.` or `..`) is left out and counted in `unaddressable`.",
  params: Type.Object({ path: AugeasPath }, { additionalProperties: false }),
  result: Type.Object({
    paths: Type.Array(Type.String()),
    unaddressable: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          "Present when readable nodes matched that no client path can name (a label holding a control character, or `.` or `..`): how many were left out of `paths`.",
      }),
    ),
  }),
  capability: "augeas.read",
});

export const augeasSet = defineMethod({
  name: "augeas.set",
  summary: "Set the value of one node, creating it (and missing parents) if needed.",
  description:
    "PATH must match at most one node. When it matches none, the missing nodes are created; each must be " +
    "writable, and a missing step cannot be a wildcard or carry a predicate. VALUE may be a string or " +
    "`{ base64 }` (exact bytes, e.g. a Latin-1 value read with `augeas.get`); a NUL in it is `invalid-params`. " +
    "The change is pending until `augeas.save`.",
  params: Type.Object({ path: AugeasPath, value: AugeasValue }, { additionalProperties: false }),
  result: Empty,
  capability: "augeas.write",
  mutates: true,
});

export const augeasSetm = defineMethod({
  name: "augeas.setm",
  summary: "Set many nodes at once: SUB below every node BASE matches.",
  description:
    "For every node BASE matches, sets the node SUB (relative to it; null or `.` means the base node " +
    "itself) to VALUE, creating it if needed. Every affected node must be writable. Answers how many " +
    "nodes changed.",
  params: Type.Object(
    {
      base: AugeasPath,
      sub: Type.Union([StorableText({ minLength: 1, maxLength: 4096 }), Type.Null()], {
        description: "A relative label path below each base node, or null for the base nodes themselves.",
      }),
      value: AugeasValue,
    },
    { additionalProperties: false },
  ),
  result: Type.Object({ count: Type.Integer({ description: "Number of nodes changed." }) }),
  capability: "augeas.write",
  mutates: true,
});

export const augeasInsert = defineMethod({
  name: "augeas.insert",
  summary: "Insert a new, empty sibling node before or after an existing node.",
  description:
    "PATH must match exactly one node. The new node LABEL is inserted after it (or before it with " +
    "`before: true`) and must be writable.",
  params: Type.Object(
    {
      path: AugeasPath,
      label: AugeasLabel,
      before: Type.Optional(Type.Boolean({ description: "Insert before PATH instead of after it.", default: false })),
    },
    { additionalProperties: false },
  ),
  result: Empty,
  capability: "augeas.write",
  mutates: true,
});

export const augeasMove = defineMethod({
  name: "augeas.move",
  summary: "Move a node and everything below it to another place.",
  description:
    "SOURCE must match exactly one node; DESTINATION is created if missing (and replaced if present). The " +
    "source node, every node below it, and every node at its new place must be writable.",
  params: Type.Object({ source: AugeasPath, destination: AugeasPath }, { additionalProperties: false }),
  result: Empty,
  capability: "augeas.write",
  mutates: true,
});

export const augeasRename = defineMethod({
  name: "augeas.rename",
  summary: "Change the label of every node a path matches.",
  description:
    "Renames every matched node to LABEL. Each node and every node below it must be writable both under " +
    "its old and its new name. Answers how many nodes were renamed.",
  params: Type.Object({ path: AugeasPath, label: AugeasLabel }, { additionalProperties: false }),
  result: Type.Object({ count: Type.Integer({ description: "Number of nodes renamed." }) }),
  capability: "augeas.write",
  mutates: true,
});

export const augeasRemove = defineMethod({
  name: "augeas.remove",
  summary: "Remove every node a path matches, with everything below it.",
  description:
    "Each matched node and every node below it must be writable. Answers how many nodes were removed " +
    "(descendants included).",
  params: Type.Object({ path: AugeasPath }, { additionalProperties: false }),
  result: Type.Object({ count: Type.Integer({ description: "Number of nodes removed, descendants included." }) }),
  capability: "augeas.write",
  mutates: true,
});

export const augeasSave = defineMethod({
  name: "augeas.save",
  summary: "Write the pending changes to disk.",
  description:
    "Writes every file with pending changes, each atomically (temporary file and rename). Before writing " +
    "anything it checks that every changed node lies in a writable policy file, that each file is still " +
    "the file the policy names (no symlink out of the root), and that no file changed on disk since it " +
    "was loaded (`conflict`, nothing written). A failed save reports the file and libaugeas' reason " +
    "(`augeas`) and leaves the files as they were. Answers the files written.",
  params: NoParams,
  result: Type.Object({ files: Type.Array(Type.String(), { description: "Files written, as the policy names them." }) }),
  capability: "augeas.write",
  mutates: true,
});

export const augeasPreview = defineMethod({
  name: "augeas.preview",
  summary: "Show the pending changes as unified diffs, writing nothing.",
  description:
    "Answers, per file whose text a save would change, what changes (see FileDiff): the text diff of files the " +
    "policy lets the client read whole, the readable nodes that change otherwise. Nothing is written.",
  params: NoParams,
  result: Type.Object({ changes: Type.Array(FileDiff) }),
  capability: "augeas.read",
});

export const augeasDiscard = defineMethod({
  name: "augeas.discard",
  summary: "Drop every pending change.",
  description: "Reloads the policy files from disk, so the tree matches the files again.",
  params: NoParams,
  result: Empty,
  capability: "augeas.read",
  mutates: true,
});

/** One edit of an `augeas.apply` change list. */
export const AugeasChange = Type.Union(
  [
    Type.Object({ op: Type.Literal("set"), path: AugeasPath, value: AugeasValue }, { additionalProperties: false }),
    Type.Object(
      {
        op: Type.Literal("setm"),
        base: AugeasPath,
        sub: Type.Union([StorableText({ minLength: 1, maxLength: 4096 }), Type.Null()]),
        value: AugeasValue,
      },
      { additionalProperties: false },
    ),
    Type.Object({ op: Type.Literal("remove"), path: AugeasPath }, { additionalProperties: false }),
    Type.Object({ op: Type.Literal("clear"), path: AugeasPath }, { additionalProperties: false }),
    Type.Object(
      { op: Type.Literal("insert"), path: AugeasPath, label: AugeasLabel, before: Type.Optional(Type.Boolean()) },
      { additionalProperties: false },
    ),
    Type.Object({ op: Type.Literal("move"), source: AugeasPath, destination: AugeasPath }, { additionalProperties: false }),
    Type.Object({ op: Type.Literal("rename"), path: AugeasPath, label: AugeasLabel }, { additionalProperties: false }),
  ],
  { description: "One edit: the same operations as the single-edit methods; `clear` sets a node's value to null." },
);
export type AugeasChange = Static<typeof AugeasChange>;

export const augeasApply = defineMethod({
  name: "augeas.apply",
  summary: "Apply a list of edits all-or-nothing, and save them (or only preview them).",
  description:
    "Applies CHANGES in order on top of the pending tree. If any edit is refused or fails, none of them " +
    "stays (the tree is as it was before the call) and the error names the failing edit in " +
    "`data.change` (its index). With `preview: true` the diffs are computed and the edits then dropped; " +
    "otherwise everything pending is saved as by `augeas.save`. Answers the diffs and the files written.",
  params: Type.Object(
    {
      changes: Type.Array(AugeasChange, { minItems: 1, maxItems: 1000 }),
      preview: Type.Optional(Type.Boolean({ default: false, description: "Only compute the diffs; write nothing." })),
    },
    { additionalProperties: false },
  ),
  result: Type.Object({
    changes: Type.Array(FileDiff),
    saved: Type.Boolean({ description: "True when the changes were written to disk." }),
    files: Type.Array(Type.String(), { description: "Files written (empty for a preview)." }),
  }),
  capability: "augeas.write",
  mutates: true,
});
