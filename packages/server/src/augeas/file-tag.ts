/**
 * Tags of policy files (the protocol's FileTag): one opaque string per
 * version of a file on disk, so a client can say "write only if the file is
 * still the version I previewed" (`expect`).
 *
 * A tag is an HMAC-SHA256, under a key machinad draws at start-up (and hands
 * to every Augeas host it starts, so tags survive a host restart but never a
 * daemon restart), of the file's path, device, inode, size, modification time
 * in nanoseconds and the SHA-256 of its bytes. Keyed, because a plain hash of
 * the content would let a client who may not read some value test guesses
 * against it offline; whole, because the metadata matters too: a file
 * rewritten with the same bytes, or replaced by a rename, is a new version.
 * A missing file has the tag `absent`.
 *
 * The bytes and the metadata come from one open file (fstat, then read), so a
 * tag never pairs one version's bytes with another's inode; a write racing
 * the read moves the modification time, and the next tag then differs.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** The tag of a file that does not exist. */
export const ABSENT_TAG = "absent";

/** Bytes of the key tags are made with. */
export const TAG_KEY_BYTES = 32;

/** The identity of one version of a file: what its tag is made from besides its bytes. */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

/** One version of a file as read from disk: its bytes (null when it does not exist) and its tag. */
export interface FileVersion {
  bytes: Buffer | null;
  tag: string;
}

/** A fresh random key for tags. */
export function newTagKey(): Buffer {
  return crypto.randomBytes(TAG_KEY_BYTES);
}

/** The tag of `file` (its policy path) with this identity and these bytes. */
export function fileTag(key: Buffer, file: string, identity: FileIdentity, bytes: Buffer): string {
  const mac = crypto.createHmac("sha256", key);
  // Length-prefixed fields under a version label: no two inputs share an encoding.
  const head = Buffer.alloc(8 * 4);
  head.writeBigUInt64BE(BigInt.asUintN(64, identity.dev), 0);
  head.writeBigUInt64BE(BigInt.asUintN(64, identity.ino), 8);
  head.writeBigUInt64BE(BigInt.asUintN(64, identity.size), 16);
  head.writeBigUInt64BE(BigInt.asUintN(64, identity.mtimeNs), 24);
  const name = Buffer.from(file, "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length, 0);
  mac.update("machina file tag v1\0").update(length).update(name).update(head);
  mac.update(crypto.createHash("sha256").update(bytes).digest());
  return mac.digest("base64url");
}

/** The identity of an open file. */
export function identityOf(fd: number): FileIdentity {
  const st = fs.fstatSync(fd, { bigint: true });
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs };
}

/** Reads `file` (a policy path below `root`): its bytes and its tag, from one open file. */
export function readFileVersion(root: string, file: string, key: Buffer): FileVersion {
  let fd: number;
  try {
    fd = fs.openSync(path.join(root, file), "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { bytes: null, tag: ABSENT_TAG };
    throw e;
  }
  try {
    const identity = identityOf(fd);
    const bytes = fs.readFileSync(fd);
    return { bytes, tag: fileTag(key, file, identity, bytes) };
  } finally {
    fs.closeSync(fd);
  }
}
