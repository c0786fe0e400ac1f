/**
 * Allowlisted commands (`command.run`): httpexec's idea — run a program and
 * get its output back — made safe. A client names a `[[command]]` entry of the
 * policy, never a path; the daemon runs that entry's program with an argument
 * vector (no shell), after checking each argument against its position's
 * choices or anchored regular expression.
 *
 * The environment is cleared: the child gets `PATH=/usr/sbin:/usr/bin:/sbin:/bin`
 * and only the variables the entry's `env` lists — with the caller's value
 * when given, else the daemon's. Names the dynamic loader or libc act on
 * (`LD_*`, `GCONV_PATH`, `MALLOC_*`, …) are never passed, allowlisted or not.
 * The program runs as the entry's `user` (supplementary groups dropped) when
 * it names one, else as root, in `/`, in a session and process group of its
 * own, and in a cgroup of its own where the daemon can make one; at the
 * entry's `timeout` the group gets SIGTERM, and SIGKILL 2 s later. Output
 * beyond the entry's cap (`max_output`, default 256 KiB, at most 512 KiB, for
 * stdout and stderr together) ends the program (SIGKILL) and sets `truncated`.
 * Nothing the program starts outlives it: when it exits (or is ended), its
 * process group and its cgroup — children that left with setsid() included —
 * are killed, and the call answers once they are gone. (Without a cgroup,
 * only the process group: see SECURITY.md.)
 *
 * stdin (only for entries with `stdin = true`) and the captured stdout and
 * stderr travel as `text` (UTF-8; lossy for binary output), `base64` or
 * `base85` (Python's `b85encode`), see `encoding/`. stdin is never logged.
 */
import { Type } from "@sinclair/typebox";
import { COMMAND_NAME_PATTERN, ENV_NAME_PATTERN } from "../names.js";
import { defineMethod } from "../method-spec.js";
import { StorableText } from "../storable-text.js";

/** How bytes travel in a JSON string: `text`, `base64` or `base85`. */
export const ByteEncodingSchema = Type.Union([Type.Literal("text"), Type.Literal("base64"), Type.Literal("base85")], {
  description: "`text` (UTF-8; invalid sequences become U+FFFD), `base64` (standard, padded) or `base85` (Python's b85encode).",
});

export const commandRun = defineMethod({
  name: "command.run",
  summary: "Run one of the policy's allowlisted commands and capture its output; streams progress.",
  description:
    "Runs the `[[command]]` entry NAME with ARGS. Refused with `policy-denied` (nothing is run) when NAME is " +
    "not an entry, when the number of ARGS differs from the entry's, when an argument is not one of its " +
    "position's choices or does not match its regex, when ENV names a variable the entry does not allowlist " +
    "or one that is never passed (`LD_PRELOAD` and friends), and when STDIN is given to an entry without " +
    "`stdin = true`. `invalid-params` when STDIN's data is not valid in its encoding. Sends a `progress` " +
    "notification (`running`) once the program has started. A program that cannot be started is " +
    "`backend-failed`; a non-zero exit, a signal or a timeout is not an error but reported in the result.",
  params: Type.Object(
    {
      name: Type.String({ description: "The `name` of a `[[command]]` entry of the policy.", pattern: COMMAND_NAME_PATTERN, maxLength: 64 }),
      args: Type.Optional(
        Type.Array(StorableText({ maxLength: 4096 }), {
          description: "The arguments, one per position of the entry's `args` (default none); no NUL and no lone surrogate (`invalid-params`).",
          maxItems: 256,
        }),
      ),
      stdin: Type.Optional(
        Type.Object(
          {
            data: Type.String({ description: "The bytes to write to the program's stdin, in `encoding` (`text`: any text without a lone surrogate, NUL included).", maxLength: 700_000 }),
            encoding: Type.Optional(ByteEncodingSchema),
          },
          { additionalProperties: false, description: "Input for the program (entries with `stdin = true` only); default: /dev/null." },
        ),
      ),
      stdout: Type.Optional(ByteEncodingSchema),
      stderr: Type.Optional(ByteEncodingSchema),
      env: Type.Optional(
        Type.Record(Type.String({ pattern: ENV_NAME_PATTERN }), StorableText({ maxLength: 32768 }), {
          description: "Values for environment variables the entry's `env` allowlists; any other name is refused. No NUL and no lone surrogate in a value (`invalid-params`).",
        }),
      ),
    },
    { additionalProperties: false },
  ),
  result: Type.Object({
    exitCode: Type.Union([Type.Integer(), Type.Null()], { description: "The exit status, or null when a signal ended the program." }),
    signal: Type.Union([Type.String(), Type.Null()], { description: "The signal that ended the program (`SIGTERM`, `SIGKILL`, …), or null." }),
    timedOut: Type.Boolean({ description: "True when the entry's timeout ended the program." }),
    truncated: Type.Boolean({ description: "True when the output cap was reached: the output is cut there and the program was killed." }),
    stdout: Type.String({ description: "What the program wrote to stdout, in the `stdout` encoding asked for (default `text`)." }),
    stderr: Type.String({ description: "What the program wrote to stderr, in the `stderr` encoding asked for (default `text`)." }),
  }),
  capability: "command.run",
  mutates: true,
});
