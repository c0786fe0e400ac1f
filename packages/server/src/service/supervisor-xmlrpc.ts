/**
 * XML-RPC, as much of it as supervisord speaks: a `methodCall` encoder and a
 * `methodResponse` decoder for the types Python's xmlrpc.client writes
 * (string — also untyped —, int/i4/i8, boolean, double, nil, array, struct).
 *
 * Written here rather than taken from npm: no maintained XML-RPC client is in
 * the offline cache (`xmlrpc` was last published in 2016 and is not cached,
 * nor is `davexmlrpc`), and the general XML parsers that are (xml2js 0.4.23
 * and sax, there for dbus-next) would bring a whole XML dialect — DOCTYPEs,
 * entities, comments, CDATA, attributes — to a root daemon that needs none of
 * it. So the decoder accepts exactly the subset, refuses everything else
 * (`XmlRpcFormatError`), bounds its nesting, and keeps struct members in
 * null-prototype objects (a member named `__proto__` is only a member).
 * supervisor-xmlrpc.test.ts checks both directions against Python's own
 * xmlrpc.client with generated values.
 */

export type XmlRpcValue = string | number | boolean | null | XmlRpcValue[] | XmlRpcStruct;
export interface XmlRpcStruct {
  [member: string]: XmlRpcValue;
}

/** A `<fault>` response: supervisord's fault code (supervisor/xmlrpc.py `Faults`) and its text. */
export class XmlRpcFault extends Error {
  override readonly name = "XmlRpcFault";
  constructor(
    readonly faultCode: number,
    readonly faultString: string,
  ) {
    super(`XML-RPC fault ${faultCode}: ${faultString}`);
  }
}

/** The bytes were not an XML-RPC response of the subset this decoder reads. */
export class XmlRpcFormatError extends Error {
  override readonly name = "XmlRpcFormatError";
}

/** Deepest nesting of arrays and structs read (supervisord answers two levels). */
const MAX_DEPTH = 32;

const I4_MIN = -(2 ** 31);
const I4_MAX = 2 ** 31 - 1;

/** Characters XML 1.0 cannot carry at all, not even as a character reference. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** The text of one `methodCall`. Throws a TypeError for a value XML-RPC (or XML 1.0) cannot carry. */
export function encodeMethodCall(method: string, params: readonly XmlRpcValue[]): string {
  if (!/^[A-Za-z0-9_.:/]+$/.test(method)) throw new TypeError(`not an XML-RPC method name: ${JSON.stringify(method)}`);
  return `<?xml version="1.0"?>\n<methodCall><methodName>${method}</methodName><params>${params.map((p) => `<param>${encodeValue(p, 0)}</param>`).join("")}</params></methodCall>\n`;
}

function encodeValue(v: XmlRpcValue, depth: number): string {
  if (depth > MAX_DEPTH) throw new TypeError("value nested too deeply for XML-RPC");
  if (v === null) return "<value><nil/></value>";
  switch (typeof v) {
    case "string":
      return `<value><string>${escapeText(v)}</string></value>`;
    case "boolean":
      return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
    case "number":
      if (Number.isInteger(v) && v >= I4_MIN && v <= I4_MAX) return `<value><int>${v}</int></value>`;
      if (Number.isFinite(v) && !Number.isInteger(v)) return `<value><double>${v}</double></value>`;
      throw new TypeError(`XML-RPC cannot carry the number ${v}`);
  }
  if (Array.isArray(v)) return `<value><array><data>${v.map((x) => encodeValue(x, depth + 1)).join("")}</data></array></value>`;
  const members = Object.keys(v).map((k) => `<member><name>${escapeText(k)}</name>${encodeValue(v[k]!, depth + 1)}</member>`);
  return `<value><struct>${members.join("")}</struct></value>`;
}

function escapeText(s: string): string {
  if (NOT_XML_CHAR.test(s)) throw new TypeError("the string holds a character XML 1.0 cannot carry");
  // \r as a reference: a parser turns a raw one into \n (XML end-of-line handling).
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#13;");
}

type Token = { type: "open" | "close" | "empty"; name: string } | { type: "text"; text: string };

/**
 * The value of a `methodResponse`; throws XmlRpcFault for a `<fault>` and
 * XmlRpcFormatError for anything that is not a response of the subset.
 */
export function decodeMethodResponse(xml: string): XmlRpcValue {
  const r = new Reader(tokenize(xml));
  r.open("methodResponse");
  let result: XmlRpcValue;
  if (r.peekOpen("fault")) {
    r.open("fault");
    const fault = r.value(0);
    r.close("fault");
    r.close("methodResponse");
    r.end();
    if (!isStruct(fault) || typeof fault.faultCode !== "number" || typeof fault.faultString !== "string") {
      throw new XmlRpcFormatError("a fault without an integer faultCode and a string faultString");
    }
    throw new XmlRpcFault(fault.faultCode, fault.faultString);
  }
  r.open("params");
  r.open("param");
  result = r.value(0);
  r.close("param");
  r.close("params");
  r.close("methodResponse");
  r.end();
  return result;
}

export function isStruct(v: XmlRpcValue | undefined): v is XmlRpcStruct {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Splits the text into tags and text, after XML's end-of-line handling; refuses every XML feature but elements and references. */
function tokenize(input: string): Token[] {
  let xml = input.replace(/\r\n?/g, "\n");
  const decl = /^\uFEFF?<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(["'])1\.[0-9]+\1(?:[ \t\n]+encoding[ \t\n]*=[ \t\n]*(["'])(?:utf-8|UTF-8|utf8|us-ascii|US-ASCII)\2)?[ \t\n]*\?>/.exec(xml);
  if (decl) xml = xml.slice(decl[0].length);
  const tokens: Token[] = [];
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const end = lt < 0 ? xml.length : lt;
    if (end > i) tokens.push({ type: "text", text: unescapeText(xml.slice(i, end)) });
    if (lt < 0) break;
    const gt = xml.indexOf(">", lt);
    if (gt < 0) throw new XmlRpcFormatError("a tag that does not end");
    const tag = /^<(\/?)([A-Za-z][A-Za-z0-9._-]*)[ \t\n]*(\/?)>$/.exec(xml.slice(lt, gt + 1));
    if (!tag || (tag[1] && tag[3])) throw new XmlRpcFormatError("markup other than plain elements (attributes, comments, CDATA, DOCTYPE, processing instructions)");
    tokens.push({ type: tag[1] ? "close" : tag[3] ? "empty" : "open", name: tag[2]! });
    i = gt + 1;
  }
  return tokens;
}

function unescapeText(raw: string): string {
  if (NOT_XML_CHAR.test(raw)) throw new XmlRpcFormatError("a character XML 1.0 does not allow");
  if (raw.includes("]]>")) throw new XmlRpcFormatError("]]> in text");
  return raw.replace(/&([^;&<]*);|&/g, (whole, ref: string | undefined) => {
    switch (ref) {
      case "amp":
        return "&";
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "quot":
        return '"';
      case "apos":
        return "'";
    }
    const m = ref === undefined ? null : /^#(?:([0-9]{1,7})|x([0-9A-Fa-f]{1,6}))$/.exec(ref);
    if (!m) throw new XmlRpcFormatError(`an entity reference other than XML's five and character references: ${whole.slice(0, 20)}`);
    const code = m[1] !== undefined ? Number(m[1]) : parseInt(m[2]!, 16);
    const ch = code <= 0x10ffff ? String.fromCodePoint(code) : "\0";
    if (NOT_XML_CHAR.test(ch) || (code >= 0xd800 && code <= 0xdfff)) throw new XmlRpcFormatError("a character reference to a character XML 1.0 does not allow");
    return ch;
  });
}

class Reader {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  /** Skips text that is only whitespace: it separates elements and means nothing there. */
  private skipSpace(): void {
    for (;;) {
      const t = this.tokens[this.at];
      if (t?.type !== "text" || /[^ \t\n]/.test(t.text)) return;
      this.at++;
    }
  }

  peekOpen(name: string): boolean {
    this.skipSpace();
    const t = this.tokens[this.at];
    return t?.type === "open" && t.name === name;
  }

  private peekClose(name: string): boolean {
    this.skipSpace();
    const t = this.tokens[this.at];
    return t?.type === "close" && t.name === name;
  }

  open(name: string): void {
    if (!this.peekOpen(name)) throw this.unexpected(`<${name}>`);
    this.at++;
  }

  close(name: string): void {
    if (!this.peekClose(name)) throw this.unexpected(`</${name}>`);
    this.at++;
  }

  end(): void {
    this.skipSpace();
    if (this.at !== this.tokens.length) throw this.unexpected("the end of the document");
  }

  /** Text up to `</name>` (entity references resolved; empty when there is none). */
  private textUntilClose(name: string): string {
    let text = "";
    const t = this.tokens[this.at];
    if (t?.type === "text") {
      text = t.text;
      this.at++;
    }
    const c = this.tokens[this.at];
    if (c?.type !== "close" || c.name !== name) throw this.unexpected(`</${name}>`);
    this.at++;
    return text;
  }

  /** `<value>…</value>`. */
  value(depth: number): XmlRpcValue {
    if (depth > MAX_DEPTH) throw new XmlRpcFormatError(`values nested deeper than ${MAX_DEPTH}`);
    this.open("value");
    const t = this.tokens[this.at];
    // <value>text</value> and <value></value> are strings (XML-RPC's default type).
    if (t?.type === "text" && this.tokens[this.at + 1]?.type === "close") return this.textUntilClose("value");
    if (t?.type === "close" && t.name === "value") {
      this.at++;
      return "";
    }
    this.skipSpace();
    const typed = this.tokens[this.at];
    if (typed?.type === "empty") {
      this.at++;
      let v: XmlRpcValue;
      if (typed.name === "nil") v = null;
      else if (typed.name === "string") v = "";
      else throw new XmlRpcFormatError(`an empty <${typed.name}/>`);
      this.close("value");
      return v;
    }
    if (typed?.type !== "open") throw this.unexpected("a typed value");
    this.at++;
    let v: XmlRpcValue;
    switch (typed.name) {
      case "string":
        v = this.textUntilClose("string");
        break;
      case "int":
      case "i4":
      case "i8": {
        const text = this.textUntilClose(typed.name).trim();
        if (!/^[+-]?[0-9]{1,19}$/.test(text) || !Number.isSafeInteger(Number(text))) throw new XmlRpcFormatError(`not an integer XML-RPC can carry here: ${text.slice(0, 30)}`);
        v = Number(text);
        break;
      }
      case "boolean": {
        const text = this.textUntilClose("boolean").trim();
        if (text !== "0" && text !== "1") throw new XmlRpcFormatError("a boolean other than 0 or 1");
        v = text === "1";
        break;
      }
      case "double": {
        const text = this.textUntilClose("double").trim();
        if (!/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(text)) throw new XmlRpcFormatError("not a double");
        v = Number(text);
        break;
      }
      case "nil":
        this.close("nil");
        v = null;
        break;
      case "array": {
        const items: XmlRpcValue[] = [];
        this.skipSpace();
        const data = this.tokens[this.at];
        if (data?.type === "empty" && data.name === "data") this.at++;
        else {
          this.open("data");
          while (!this.peekClose("data")) items.push(this.value(depth + 1));
          this.close("data");
        }
        this.close("array");
        v = items;
        break;
      }
      case "struct": {
        const members: XmlRpcStruct = Object.create(null) as XmlRpcStruct;
        while (this.peekOpen("member")) {
          this.open("member");
          this.open("name");
          const name = this.textUntilClose("name");
          const value = this.value(depth + 1);
          this.close("member");
          if (Object.prototype.hasOwnProperty.call(members, name)) throw new XmlRpcFormatError("a struct naming a member twice");
          members[name] = value;
        }
        this.close("struct");
        v = members;
        break;
      }
      default:
        throw new XmlRpcFormatError(`a value of a type supervisord does not send: <${typed.name}>`);
    }
    this.close("value");
    return v;
  }

  private unexpected(wanted: string): XmlRpcFormatError {
    const t = this.tokens[this.at];
    const got = !t ? "the end" : t.type === "text" ? "text" : `<${t.type === "close" ? "/" : ""}${t.name}${t.type === "empty" ? "/" : ""}>`;
    return new XmlRpcFormatError(`expected ${wanted}, found ${got}`);
  }
}
