/** Reading form posts and writing responses, with the headers every response carries. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SafeHtml } from "./html.js";

/** Forms here are a few fields; anything bigger is not one of ours. */
const MAX_FORM_BYTES = 16 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads an `application/x-www-form-urlencoded` body. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw new HttpError(415, "expected a form post");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new HttpError(413, "the form is too large");
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/**
 * Sent with everything: scripts and styles only from this origin (no inline
 * script at all, so injected markup could not run any), no framing, no
 * referrer leaking to other sites, no MIME sniffing.
 */
function securityHeaders(res: ServerResponse): void {
  res.setHeader(
    "Content-Security-Policy",
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "same-origin");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Cache-Control", "no-store");
}

export function sendHtml(res: ServerResponse, status: number, body: SafeHtml): void {
  securityHeaders(res);
  res.writeHead(status, { "Content-Type": "text/html; charset=utf-8" });
  res.end(`<!doctype html>\n${body.text}`);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  securityHeaders(res);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

/** 303 See Other: after a POST, the browser GETs the next page (so reloading it re-posts nothing). */
export function redirect(res: ServerResponse, location: string): void {
  securityHeaders(res);
  res.writeHead(303, { Location: location });
  res.end();
}

export function sendStatic(res: ServerResponse, type: string, body: Buffer): void {
  securityHeaders(res);
  res.setHeader("Cache-Control", "no-cache");
  res.writeHead(200, { "Content-Type": type });
  res.end(body);
}
