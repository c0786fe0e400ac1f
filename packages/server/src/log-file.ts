/**
 * The daemon's log in a file it opens itself (`--log-file`), rather than on
 * stderr: stderr is a file descriptor the daemon was given (by
 * start-stop-daemon's --output, say) and can never open again, so after
 * logrotate moved the file away every line would still go to the moved file.
 * This one is appended to (created 0600, as the audit log), reopened on
 * SIGHUP, and open for the whole life of the process.
 */
import fs from "node:fs";

export interface LogFile {
  /** Appends one line (synchronously: log lines are written in order and before the daemon exits). */
  write(line: string): void;
  /** Opens the file again (after logrotate moved it away); throws, still writing to the old one, when it cannot. */
  reopen(): void;
}

export function openLogFile(file: string): LogFile {
  const open = () => fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  let fd = open();
  return {
    write(line) {
      try {
        fs.writeSync(fd, line);
      } catch {
        // A full or broken disk must not take the daemon down; the line is lost, as on a closed stderr.
      }
    },
    reopen() {
      // The new file is open before the old one is closed, so no line can be lost in between.
      const next = open();
      fs.closeSync(fd);
      fd = next;
    },
  };
}
