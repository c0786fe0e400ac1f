/**
 * Newline-delimited JSON framing.
 *
 * Each JSON-RPC message (a request, a notification, a response or a batch array)
 * is one line: UTF-8 JSON text followed by `\n`. JSON text never needs a raw
 * newline (`JSON.stringify` escapes them), so the newline is an unambiguous frame
 * boundary. A line longer than the limit (1 MiB by default, newline excluded), or
 * one that is not valid UTF-8, is a framing error: the receiver answers with the
 * matching JSON-RPC error and closes the connection, because it can no longer tell
 * where the next message starts.
 */

/** The default maximum length of one line, in bytes, not counting the newline. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/** Why a stream could not be split into lines. */
export type FramingErrorReason = "line-too-long" | "invalid-utf8";

/** A framing problem; after it the stream cannot be resynchronised. */
export class FramingError extends Error {
  constructor(
    readonly reason: FramingErrorReason,
    message: string,
  ) {
    super(message);
    this.name = "FramingError";
  }
}

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines. Feed it chunks with {@link LineDecoder.push};
 * it returns the complete lines found so far (decoded, without the newline) and
 * keeps the rest. It throws {@link FramingError} as soon as a line is known to be
 * too long — without waiting for its end, so a sender cannot make the receiver
 * buffer without bound.
 */
export class LineDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly utf8 = new TextDecoder("utf-8", { fatal: true });

  constructor(readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES) {}

  /** Bytes received that are not yet part of a complete line. */
  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      if (this.pendingBytes + piece.length > this.maxLineBytes) throw this.tooLong();
      const whole = this.pendingBytes === 0 ? piece : Buffer.concat([...this.pending, piece]);
      this.pending = [];
      this.pendingBytes = 0;
      lines.push(this.decode(whole));
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (this.pendingBytes + rest.length > this.maxLineBytes) throw this.tooLong();
      // Copy: the caller may reuse the chunk's memory.
      this.pending.push(Buffer.from(rest));
      this.pendingBytes += rest.length;
    }
    return lines;
  }

  private decode(bytes: Buffer): string {
    try {
      return this.utf8.decode(bytes);
    } catch {
      throw new FramingError("invalid-utf8", "message is not valid UTF-8");
    }
  }

  private tooLong(): FramingError {
    return new FramingError("line-too-long", `message longer than ${this.maxLineBytes} bytes`);
  }
}

/** Serialises one message as a line. */
export function encodeLine(message: unknown): string {
  return JSON.stringify(message) + "\n";
}
