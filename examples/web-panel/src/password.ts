/**
 * The admin password: kept only as an scrypt hash, compared in constant time.
 *
 * The configured secret is either the password itself (hashed with a fresh salt
 * at start-up, so the plain text is not kept around) or an already hashed
 * `scrypt$N$r$p$SALT$HASH` line as printed by `machina-web-panel hash-password`
 * — the better choice for a real deployment, since the file then holds nothing
 * that logs in by itself.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

export interface PasswordHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

const DEFAULT_COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const PREFIX = "scrypt$";

function derive(password: string, salt: Buffer, cost: ScryptOptions & { N: number; r: number; p: number }, length: number): Promise<Buffer> {
  // 128·N·r bytes is what scrypt needs; Node's default cap (32 MiB) is too tight for N=2^15 and up.
  const maxmem = 256 * cost.N * cost.r;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, length, { N: cost.N, r: cost.r, p: cost.p, maxmem }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes a password with a fresh random salt. */
export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  return { ...DEFAULT_COST, salt, hash: await derive(password, salt, DEFAULT_COST, KEY_LENGTH) };
}

/** The one-line form: `scrypt$N$r$p$SALT$HASH` (base64). */
export function formatPasswordHash(h: PasswordHash): string {
  return `${PREFIX}${h.N}$${h.r}$${h.p}$${h.salt.toString("base64")}$${h.hash.toString("base64")}`;
}

/** Parses the one-line form; throws a plain message (never echoing the input) when it is malformed. */
export function parsePasswordHash(line: string): PasswordHash {
  const parts = line.split("$");
  const [, n, r, p, salt, hash] = parts;
  const num = (s: string | undefined): number => (s !== undefined && /^[1-9][0-9]{0,8}$/.test(s) ? Number(s) : NaN);
  const N = num(n);
  const cost = { N, r: num(r), p: num(p) };
  const saltBytes = Buffer.from(salt ?? "", "base64");
  const hashBytes = Buffer.from(hash ?? "", "base64");
  if (parts.length !== 6 || !Number.isInteger(Math.log2(N)) || N < 2 || !(cost.r > 0) || !(cost.p > 0) || saltBytes.length < 8 || hashBytes.length < 16) {
    throw new Error("the password hash is malformed (expected scrypt$N$r$p$SALT$HASH as printed by hash-password)");
  }
  return { ...cost, salt: saltBytes, hash: hashBytes };
}

/** Turns the configured secret (a password or a hash line) into a hash. */
export async function passwordHashFromSecret(secret: string): Promise<PasswordHash> {
  return secret.startsWith(PREFIX) ? parsePasswordHash(secret) : hashPassword(secret);
}

/** True when `candidate` is the password. Constant time in the comparison; the scrypt cost is the same for right and wrong guesses. */
export async function verifyPassword(candidate: string, stored: PasswordHash): Promise<boolean> {
  const derived = await derive(candidate, stored.salt, stored, stored.hash.length);
  return timingSafeEqual(derived, stored.hash);
}
