/**
 * The client's half of the mutual handshake (see @machina/protocol's
 * handshake.ts). Nothing but `session.hello` and `session.authenticate` is sent
 * until the daemon has proved it knows the key.
 */
import {
  AUTH_SCHEME,
  METHODS,
  NONCE_BYTES,
  PROOF_BYTES,
  PROTOCOL_VERSION,
  clientProof,
  compileSchema,
  decodeBase64,
  encodeBase64,
  newNonce,
  proofsEqual,
  serverProof,
} from "@machina/protocol";
import type { Connection } from "./connection.js";
import { ConnectionError } from "./errors.js";

/** Who answered the handshake. */
export interface ServerInfo {
  /** The daemon's name and version, as it announced them (e.g. `machinad/0.1.0`). */
  readonly name: string;
  /** The protocol version of the session. */
  readonly protocol: number;
}

const helloResult = compileSchema(METHODS["session.hello"].result);
const authenticateResult = compileSchema(METHODS["session.authenticate"].result);

/**
 * Runs the handshake on `connection` with `key`. Throws the daemon's error
 * (e.g. `AuthFailedError`, `BusyError`) or a {@link ConnectionError} when the
 * daemon's answers are malformed or its proof is wrong. `timeoutMs()` gives
 * the time left for each step.
 */
export async function authenticate(
  connection: Connection,
  key: Uint8Array,
  timeoutMs: () => number,
): Promise<ServerInfo> {
  const clientNonce = newNonce();
  const greeting = await connection.request(
    "session.hello",
    { protocol: PROTOCOL_VERSION, nonce: encodeBase64(clientNonce) },
    { timeoutMs: timeoutMs() },
  );
  if (!helloResult.Check(greeting)) {
    throw new ConnectionError(`${connection.label} answered session.hello with something that is not a machina greeting`);
  }
  if (greeting.protocol !== PROTOCOL_VERSION) {
    throw new ConnectionError(
      `${connection.label} speaks protocol ${greeting.protocol}; this client speaks ${PROTOCOL_VERSION}`,
    );
  }
  if (greeting.auth !== AUTH_SCHEME) {
    throw new ConnectionError(`${connection.label} asks for authentication scheme ${String(greeting.auth)}`);
  }
  const serverNonce = decodeBase64(greeting.nonce, NONCE_BYTES);
  if (!serverNonce) throw new ConnectionError(`${connection.label} sent a malformed nonce`);

  const ours = clientProof(key, clientNonce, serverNonce);
  const answer = await connection.request(
    "session.authenticate",
    { proof: encodeBase64(ours) },
    { timeoutMs: timeoutMs() },
  );
  const theirs = authenticateResult.Check(answer) ? decodeBase64(answer.proof, PROOF_BYTES) : undefined;
  const expected = serverProof(key, clientNonce, serverNonce);
  const genuine = theirs !== undefined && proofsEqual(expected, theirs);
  expected.fill(0);
  if (!genuine) {
    throw new ConnectionError(
      `${connection.label} could not prove it knows the secret: it is not the real machinad, or its secret differs from this client's`,
    );
  }
  return { name: greeting.server, protocol: greeting.protocol };
}
