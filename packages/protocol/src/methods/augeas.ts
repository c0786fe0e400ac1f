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

/**
 * A tag: an opaque string naming one version of a policy file on disk — its
 * content, inode, size and modification time (nanoseconds), keyed with a secret
 * the daemon draws at every start, so a tag tells nothing about the content (it
 * cannot be checked against guesses offline) and no tag survives a daemon
 * restart (a restart of its Augeas host keeps them). A missing file has the
 * tag `absent`. Tags are compared whole, as
 * strings: any change to the file — even one that leaves its bytes as they
 * were (`touch`, a rewrite) — gives it a new tag.
 */
export const FileTag = Type.String({
  minLength: 1,
  maxLength: 128,
  description: "An opaque tag of one on-disk version of a policy file (`absent` for a missing file); compare whole, never parse.",
});

/**
 * `expect` of `augeas.save` and `augeas.apply`: file (as the policy names it)
 * → the tag the client saw (from a FileDiff or an earlier save's `tags`).
 */
export const FileExpectations = Type.Record(Type.String(), FileTag, {
  maxProperties: 256,
  description:
    "Per file (as the policy names it, e.g. `/etc/hosts`), the tag the file must have on disk for the call to write " +
    "anything: checked before anything is written and again right before the new files are renamed into place. A file " +
    "whose tag differs is `conflict` (`data.file` names it; nothing is written, the message never holds content); a " +
    "file the policy does not name is `policy-denied`. A file may be named without having pending changes.",
});

/** Per file written (or left as it was), the tag of its version on disk after the save. */
export const FileTags = Type.Record(Type.String(), FileTag, {
  description:
    "Per file the save concerned (every file with pending changes), the tag of its version on disk afterwards — the " +
    "one it wrote, or the one it left in place when the file's bytes would not change: give it to the next `expect`.",
});

/**
 * One readable node a save would add, change or remove (see {@link FileDiff}'s `nodes` scope).
 *
 * A node whose value is secret (the policy's `secret` for its file) is listed
 * with `hidden: true` and `before`/`after` null: its path and whether it
 * appears or disappears are shown, its values never. It is listed as
 * `changed` exactly when an edit of this session named it (a set, even to
 * the value it already has, a move, a removal…) — never by comparing values,
 * so the list does not tell whether a value set equals the one on disk.
 */
export const NodeChange = Type.Object({
  node: Type.String({ description: "The node's path (`/files/etc/ssh/sshd_config/Port`; a label's bytes beyond ASCII as `%HH`)." }),
  before: Type.Union([Type.String(), AugeasBytes, Type.Null()], {
    description: "Its value on disk (a string, or `{ base64 }` when its bytes are not UTF-8, as AugeasValue); null when it has none, does not exist there, or its value is hidden.",
  }),
  after: Type.Union([Type.String(), AugeasBytes, Type.Null()], {
    description: "Its value after the save (a string, or `{ base64 }` when its bytes are not UTF-8); null when it has none, will not exist, or its value is hidden.",
  }),
  change: Type.Union([Type.Literal("added"), Type.Literal("changed"), Type.Literal("removed")]),
  hidden: Type.Optional(
    Type.Literal(true, {
      description:
        "Present (true) when the node's value is secret: `before` and `after` are null whatever the values are, and `changed` " +
        "means an edit of this session named the node, not that its value differs.",
    }),
  ),
});
export type NodeChange = Static<typeof NodeChange>;

/**
 * What a save would change in one file, shown so that it cannot reveal a node
 * the client may not read or a value that is secret:
 *
 * - scope `text`: the policy lets the client read every node of the file
 *   (its read patterns cover `**`) and none of its values is secret, so
 *   `diff` is the unified diff of the file's text, as on disk and as a save
 *   would write it;
 * - scope `nodes`: some nodes of the file are not readable, or some values
 *   are secret, so the text is never shown; `nodes` lists the readable nodes
 *   whose value or existence changes (nothing about unreadable ones; secret
 *   ones without values, see {@link NodeChange}), and `diff` renders that
 *   list in unified-diff form (`-NODE = value` / `+NODE = value`, a secret
 *   node as `NODE (value hidden)`) for people.
 *
 * A file in which an edit of this session named a node whose value the
 * client may not see is listed even when its text would not change, so that
 * whether it is listed does not tell whether the value set equals the old one.
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
    description:
      "`text`: `diff` is the file's text diff; `nodes`: the file has unreadable nodes or secret values, and only readable node changes are shown (secret values as hidden).",
  }),
  diff: Type.String({
    description:
      "Unified diff (`--- a/FILE`, `+++ b/FILE`): of the text (scope `text`) or of the readable nodes and their values (scope `nodes`). " +
      "For a file that is not valid UTF-8 every line is shown escaped: backslashes doubled, bytes outside valid UTF-8 as `\\xNN`.",
  }),
  nodes: Type.Optional(Type.Array(NodeChange, { description: "Scope `nodes` only: the readable nodes that change." })),
  tag: Type.String({
    description:
      "The tag of the version of the file on disk this diff was made from (see FileTag): give it back in `expect` to " +
      "`augeas.save` or `augeas.apply` so the save is refused (`conflict`) if the file changed since.",
  }),
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
    "`policy-denied` when the node is not readable or its value is secret (the policy's `secret` for its file: " +
    "such values can be set, never read back), `not-found` when no node matches, and `augeas` (code " +
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
    "are left out silently. Nodes whose values are secret are listed (their existence and labels are not " +
    "secret). A predicate that would read an unreadable node, or compare the value of a node that may be " +
    "secret, is refused with `policy-denied`. " +
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
    "(`augeas`) and leaves the files as they were. A file the policy gives a validator (`validate`) is " +
    "checked by it in its new version before anything is written: a refusal is `validation-failed` " +
    "(`data.file`, `data.exitCode`; `data.output` only when the client may read the whole file), nothing " +
    "is written and the edits stay pending. A file that does not exist is created only when the policy " +
    "says `create = true` (else `policy-denied`). An existing file keeps its owner, group, mode, ACLs and " +
    "extended attributes. With `expect`, each named file must also still have the tag the " +
    "client saw (`conflict` otherwise, naming the file). A file whose bytes the save would not change is not written " +
    "at all (its inode and modification time stay), except a file where a pending edit touched a node whose value " +
    "the client may not see: that file is always written and reported, so the answer never tells whether a hidden " +
    "value changed. Answers the files written, whether any changed, and their tags.",
  params: Type.Object({ expect: Type.Optional(FileExpectations) }, { additionalProperties: false }),
  result: Type.Object({
    files: Type.Array(Type.String(), { description: "Files written, as the policy names them." }),
    changed: Type.Boolean({ description: "True when some file was written (`files` is not empty); false when every file already held the bytes the save would write." }),
    tags: FileTags,
  }),
  capability: "augeas.write",
  mutates: true,
});

export const augeasPreview = defineMethod({
  name: "augeas.preview",
  summary: "Show the pending changes as unified diffs, writing nothing.",
  description:
    "Answers, per file whose text a save would change (or in which an edit touched a node whose value the client " +
    "may not see — a save always writes such a file, so the list never tells whether a hidden value changed), what " +
    "changes (see FileDiff): the text diff of files the policy lets the client read whole and that hold no secret, " +
    "the readable nodes that change otherwise, secret values as hidden; and the tag of the version on disk the diff " +
    "was made from, for `expect`. Nothing is written.",
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
export const AugeasEdit = Type.Union(
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
      { op: Type.Literal("touch"), path: AugeasPath },
      {
        additionalProperties: false,
        description:
          "Creates the node PATH names when no node matches (without a value), and leaves matching nodes as they are " +
          "(their values kept). Authorised as a `set` of PATH.",
      },
    ),
    Type.Object(
      { op: Type.Literal("insert"), path: AugeasPath, label: AugeasLabel, before: Type.Optional(Type.Boolean()) },
      { additionalProperties: false },
    ),
    Type.Object({ op: Type.Literal("move"), source: AugeasPath, destination: AugeasPath }, { additionalProperties: false }),
    Type.Object({ op: Type.Literal("rename"), path: AugeasPath, label: AugeasLabel }, { additionalProperties: false }),
  ],
  {
    description:
      "One edit: the same operations as the single-edit methods; `clear` sets a node's value to null; `touch` " +
      "creates a node that does not exist and keeps one that does.",
  },
);
export type AugeasEdit = Static<typeof AugeasEdit>;

/** How a `match` guard compares the number of nodes with `count`. */
export const GuardSize = Type.Union(
  [Type.Literal("=="), Type.Literal("!="), Type.Literal("<"), Type.Literal("<="), Type.Literal(">"), Type.Literal(">=")],
  { description: "The comparison of the number of readable matching nodes with `count`." },
);

/**
 * A condition in an `augeas.apply` change list (`op: "guard"`), evaluated on
 * the pending tree at its place in the list — after the changes before it,
 * before the ones after it — within the same all-or-nothing step. Which test
 * it is follows from the one key it has besides `op`:
 *
 * - `{get, is, value}`: PATH resolves to exactly one readable node and its
 *   value is (`is: "=="`) or is not (`"!="`) VALUE (null: the node has no
 *   value). No matching node: `==` fails and `!=` holds; several: `augeas`
 *   (`EMMATCH`), as `augeas.get`.
 * - `{match, size, count}`: the number of readable nodes PATH matches,
 *   compared with COUNT (as `augeas.match`, unreadable nodes are not counted).
 * - `{exists}` / `{missing}`: PATH matches at least one / no readable node.
 *
 * Reads obey the read policy exactly as `augeas.get` (get, exists, missing)
 * and `augeas.match` (match) do: a path no read pattern could cover, or a
 * predicate reading an unreadable node, is `policy-denied`; unreadable nodes
 * are invisible, never counted or compared; and a `get` guard on a node whose
 * value the client may not see (a secret) is `policy-denied`. A guard that
 * does not hold is not an error: see `augeas.apply`'s `applied`.
 */
export const AugeasGuard = Type.Union(
  [
    Type.Object(
      {
        op: Type.Literal("guard"),
        get: AugeasPath,
        is: Type.Union([Type.Literal("=="), Type.Literal("!=")], { description: "`==`: the value must be VALUE; `!=`: it must not." }),
        value: AugeasValue,
      },
      { additionalProperties: false, description: "Holds when the value of the one node GET names is (or is not) VALUE." },
    ),
    Type.Object(
      {
        op: Type.Literal("guard"),
        match: AugeasPath,
        size: GuardSize,
        count: Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: "The number to compare with." }),
      },
      { additionalProperties: false, description: "Holds when the number of readable nodes MATCH names compares with COUNT as SIZE says." },
    ),
    Type.Object(
      { op: Type.Literal("guard"), exists: AugeasPath },
      { additionalProperties: false, description: "Holds when EXISTS names at least one readable node." },
    ),
    Type.Object(
      { op: Type.Literal("guard"), missing: AugeasPath },
      { additionalProperties: false, description: "Holds when MISSING names no readable node." },
    ),
  ],
  { description: "A condition (`op: \"guard\"`): one of `get`+`is`+`value`, `match`+`size`+`count`, `exists`, `missing`." },
);
export type AugeasGuard = Static<typeof AugeasGuard>;

/** One entry of an `augeas.apply` change list: an edit or a guard. */
export const AugeasChange = Type.Union([AugeasEdit, AugeasGuard], {
  description: "An edit (see AugeasEdit) or a guard (`op: \"guard\"`, see AugeasGuard).",
});
export type AugeasChange = Static<typeof AugeasChange>;

export const augeasApply = defineMethod({
  name: "augeas.apply",
  summary: "Apply a list of edits all-or-nothing, if its guards hold, and save them (or only preview them).",
  description:
    "Applies CHANGES in order on top of the pending tree. If any edit is refused or fails, none of them " +
    "stays (the tree is as it was before the call) and the error names the failing edit in " +
    "`data.change` (its index). A guard (`op: \"guard\"`, see AugeasGuard) is evaluated on the tree as the " +
    "changes before it left it; when one does not hold, nothing of this call stays pending, nothing is written " +
    "and the answer says so (`applied: false`, `guard`) — not an error. With `preview: true` the diffs are " +
    "computed and the edits then dropped; otherwise everything pending is saved as by `augeas.save`. With " +
    "`expect`, each named file must have that tag on disk (`conflict` otherwise, checked before anything and " +
    "again right before the renames; a file the policy does not name is `policy-denied`). Answers the diffs, " +
    "the files written, whether anything changed, and their new tags.",
  params: Type.Object(
    {
      changes: Type.Array(AugeasChange, { minItems: 1, maxItems: 1000 }),
      preview: Type.Optional(Type.Boolean({ default: false, description: "Only compute the diffs; write nothing." })),
      expect: Type.Optional(FileExpectations),
    },
    { additionalProperties: false },
  ),
  result: Type.Object({
    applied: Type.Boolean({
      description: "False when a guard did not hold: nothing of this call was applied, saved or kept pending (see `guard`).",
    }),
    guard: Type.Optional(
      Type.Object(
        {
          change: Type.Integer({ description: "The 0-based index of the guard in CHANGES." }),
          reason: Type.String({ description: "Why it did not hold, in words (values only of nodes the client may read)." }),
        },
        { description: "When `applied` is false: the first guard that did not hold." },
      ),
    ),
    changes: Type.Array(FileDiff, { description: "The diffs of the pending changes, with the tags of the versions they were made from (empty when not applied)." }),
    saved: Type.Boolean({ description: "True when the changes were saved (not a preview, and applied)." }),
    files: Type.Array(Type.String(), { description: "Files written (empty for a preview or when not applied)." }),
    changed: Type.Boolean({
      description: "True when some file was written; false for a preview, when not applied, or when every file already held the bytes the save would write.",
    }),
    tags: Type.Record(Type.String(), FileTag, {
      description:
        "As `augeas.save`'s `tags`: per file the save concerned, the tag of its version on disk afterwards; empty for a " +
        "preview or when not applied.",
    }),
  }),
  capability: "augeas.write",
  mutates: true,
});

/**
 * The id of a history entry: the audit id of the call whose save recorded it
 * (the `id` of that call's audit line): lower-case letters, digits and `-`.
 */
export const HistoryId = Type.String({
  description:
    "A history entry's id: the audit id of the `augeas.save`, `augeas.apply` or `augeas.rollback` call that recorded it " +
    "(the `id` field of that call's audit line), e.g. `m3k9x2a1-4-17`.",
  pattern: "^[0-9a-z]+(-[0-9a-z]+)*$",
  minLength: 1,
  maxLength: 64,
});

/** A policy file's path, as the policy names it. */
const PolicyFilePath = Type.String({
  description: "A policy file, as the policy names it (`/etc/hosts`).",
  pattern: "^/",
  minLength: 1,
  maxLength: 4096,
});

/** One file of a history entry, as `augeas.history` shows it (never its content). */
export const HistoryFile = Type.Object({
  file: Type.String({ description: "The file, as the policy names it (`/etc/hosts`)." }),
  current: Type.Boolean({
    description:
      "True when the file on disk still has exactly the bytes that save wrote (same SHA-256; for a rollback that " +
      "removed the file: it still does not exist) — the condition `augeas.rollback` needs.",
  }),
});
export type HistoryFile = Static<typeof HistoryFile>;

/** One recorded save, as `augeas.history` lists it. */
export const HistoryEntry = Type.Object({
  id: Type.String({ description: "The entry's id: the audit id of the call that saved (see HistoryId); pass it to `augeas.rollback`." }),
  time: Type.String({ description: "When that call started (ISO 8601, UTC)." }),
  peer: Type.Object(
    {
      pid: Type.Integer(),
      uid: Type.Integer(),
      gid: Type.Integer(),
    },
    { description: "The peer that made the call (SO_PEERCRED), as its audit line has it." },
  ),
  method: Type.String({ description: "The call that saved: `augeas.save`, `augeas.apply` or `augeas.rollback`." }),
  files: Type.Array(HistoryFile, {
    description: "The files it wrote that this client may see (readable policy files with `history` on), in the order it wrote them.",
  }),
});
export type HistoryEntry = Static<typeof HistoryEntry>;

export const augeasHistory = defineMethod({
  name: "augeas.history",
  summary: "List the recorded saves of policy files, newest first (never any content).",
  description:
    "Every save (`augeas.save`, `augeas.apply`, `augeas.rollback`) of a policy file whose policy entry has `history = N` " +
    "records the file's previous bytes, kept root-only by the daemon (the N newest per file, and a total size bound). " +
    "This lists those entries — who saved (peer), when, with which method, which files, and whether each file still " +
    "has the bytes that save wrote (`current`) — never any content, diff or hash. Only files the policy lets this " +
    "client read some of and has `history` on are shown; an entry with none is left out. With FILE, only entries " +
    "that wrote FILE, showing FILE only; FILE must be such a file, else `policy-denied`.",
  params: Type.Object(
    {
      file: Type.Optional(PolicyFilePath),
    },
    { additionalProperties: false },
  ),
  result: Type.Object({
    entries: Type.Array(HistoryEntry, { description: "Newest first." }),
  }),
  capability: "augeas.read",
});

export const augeasRollback = defineMethod({
  name: "augeas.rollback",
  summary: "Put back the versions a recorded save replaced.",
  description:
    "Restores the previous bytes of the files the history entry ID wrote (every file of it this client can see in " +
    "`augeas.history`, or only FILE) — only when each still has exactly the bytes that save wrote; otherwise " +
    "`conflict` naming the first file that does not, and nothing is written. Each file's policy entry must have " +
    "`rollback = true` (`policy-denied` naming the file otherwise). The restore goes the way of a save: the previous " +
    "bytes are written beside the file, checked like a save's new text (validators, the conflict check, containment) " +
    "and renamed into place atomically; a file that did not exist before that save is removed. Refused with " +
    "`invalid-params` while the session has pending edits (save or discard first), `not-found` for an id that " +
    "names no entry this client can see. The rollback is recorded in the history itself (so it can be rolled back), " +
    "and the session's tree is reloaded from disk afterwards. Answers the files restored.",
  params: Type.Object(
    {
      id: HistoryId,
      file: Type.Optional(PolicyFilePath),
    },
    { additionalProperties: false },
  ),
  result: Type.Object({
    files: Type.Array(Type.String(), { description: "The files restored (or removed), as the policy names them." }),
    changed: Type.Boolean({ description: "True when a file on disk changed (always, for a rollback that succeeds)." }),
  }),
  capability: "augeas.rollback",
  mutates: true,
});
