/**
 * The XML-RPC subset against the reference: Python's xmlrpc.client, which
 * supervisord itself uses to write its answers (supervisor/xmlrpc.py calls
 * xmlrpclib.dumps) and to read requests. Generated values go both ways
 * through one python3 process: Python's `dumps(..., methodresponse=True)` is
 * decoded here, and what encodeMethodCall writes is read by Python's `loads`.
 * Then the hostile side: everything outside the subset is refused.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import readline from "node:readline";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { decodeMethodResponse, encodeMethodCall, XmlRpcFault, XmlRpcFormatError, type XmlRpcValue } from "#src/service/supervisor-xmlrpc.js";

const SEED = Number(process.env.MACHINA_FC_SEED ?? 20_261_201);
const RUNS = 300;

/** One python3 answering JSON lines: {dump: value} → the XML of a response; {load: xml} → [params, method]. */
const PYTHON = `
import json, sys, xmlrpc.client
for line in sys.stdin:
    req = json.loads(line)
    try:
        if "dump" in req:
            out = {"xml": xmlrpc.client.dumps((req["dump"],), methodresponse=True, allow_none=True)}
        elif "fault" in req:
            out = {"xml": xmlrpc.client.dumps(xmlrpc.client.Fault(req["fault"][0], req["fault"][1]))}
        else:
            params, method = xmlrpc.client.loads(req["load"])
            out = {"params": list(params), "method": method}
    except Exception as e:
        out = {"error": repr(e)}
    sys.stdout.write(json.dumps(out) + "\\n")
    sys.stdout.flush()
`;

class Python {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  constructor() {
    this.child = spawn("python3", ["-c", PYTHON], { stdio: ["pipe", "pipe", "pipe"] });
    readline.createInterface({ input: this.child.stdout }).on("line", (line) => this.waiting.shift()?.(line));
  }
  ask(request: unknown): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      this.waiting.push((line) => resolve(JSON.parse(line) as Record<string, unknown>));
      this.child.stdin.write(JSON.stringify(request) + "\n");
    });
  }
  close(): void {
    this.child.stdin.end();
  }
}

let python: Python;
before(() => (python = new Python()));
after(() => python.close());

/** Text XML 1.0 can carry (`\r` aside: a raw one becomes `\n` in any parser, Python's own included). */
const xmlText = fc.string({ unit: "binary", maxLength: 20 }).map((s) => s.replace(/[^\t\n\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, ""));
const key = fc.oneof(xmlText, fc.constantFrom("__proto__", "constructor", "faultCode", "name"));

function values(text: fc.Arbitrary<string>): fc.Arbitrary<XmlRpcValue> {
  return fc.letrec<{ value: XmlRpcValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      text,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
      fc.array(tie("value"), { maxLength: 4 }),
      // Object.fromEntries makes "__proto__" an own member, as a struct has it.
      fc.array(fc.tuple(key, tie("value")), { maxLength: 4 }).map((entries) => Object.fromEntries(entries) as XmlRpcValue),
    ),
  })).value;
}

describe("against Python's xmlrpc.client", () => {
  test("what Python's dumps writes as a response decodes to the same value", async () => {
    await fc.assert(
      fc.asyncProperty(values(xmlText), async (v) => {
        const { xml, error } = await python.ask({ dump: v });
        assert.equal(error, undefined);
        assert.equal(JSON.stringify(decodeMethodResponse(xml as string)), JSON.stringify(v));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test("what encodeMethodCall writes, Python's loads reads as the same call (\\r included)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("supervisor.startProcess", "system.listMethods"), fc.array(values(fc.oneof(xmlText, fc.constantFrom("a\rb", "\r\n", "]]>"))), { maxLength: 3 }), async (method, params) => {
        const answer = await python.ask({ load: encodeMethodCall(method, params) });
        assert.equal(answer.error, undefined);
        assert.equal(answer.method, method);
        assert.deepEqual(answer.params, JSON.parse(JSON.stringify(params)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test("a fault Python writes is an XmlRpcFault with its code and text", async () => {
    const { xml } = await python.ask({ fault: [10, "BAD_NAME: no <such> & process"] });
    assert.throws(
      () => decodeMethodResponse(xml as string),
      (e: unknown) => e instanceof XmlRpcFault && e.faultCode === 10 && e.faultString === "BAD_NAME: no <such> & process",
    );
  });
});

describe("outside the subset", () => {
  const response = (inner: string) => `<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n${inner}\n</param>\n</params>\n</methodResponse>\n`;

  test("DOCTYPEs, entities, comments, CDATA, attributes and processing instructions are refused", () => {
    for (const xml of [
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><methodResponse><params><param><value>&e;</value></param></params></methodResponse>`,
      response("<value>&e;</value>"),
      response('<value>&#0;</value>'),
      response("<value>&#xD800;</value>"),
      response("<value><!-- hidden --><string>x</string></value>"),
      response("<value><![CDATA[x]]></value>"),
      response('<value><string lang="en">x</string></value>'),
      response("<value><?php x ?></value>"),
      response("<value>\u0001</value>"),
      response("<value><int>99999999999999999999</int></value>"),
      response("<value><int>1.5</int></value>"),
      response("<value><boolean>true</boolean></value>"),
      response("<value><base64>eA==</base64></value>"),
      response("<value><struct><member><name>a</name><value>1</value></member><member><name>a</name><value>2</value></member></struct></value>"),
      response("<value><string>x</string></value><value>again</value>"),
      response("<value><string>x</value></string>"),
      response("<value>x"),
      `${response("<value>x</value>")}<methodResponse/>`,
      "",
      "not xml",
    ]) {
      assert.throws(() => decodeMethodResponse(xml), XmlRpcFormatError, xml);
    }
  });

  test("nesting is bounded", () => {
    const deep = (n: number) => `${"<value><array><data>".repeat(n)}<value>x</value>${"</data></array></value>".repeat(n)}`;
    assert.ok(Array.isArray(decodeMethodResponse(response(deep(30)))));
    assert.throws(() => decodeMethodResponse(response(deep(40))), XmlRpcFormatError);
    assert.throws(() => decodeMethodResponse(response(deep(100_000))), XmlRpcFormatError);
  });

  test("a member named __proto__ is a member, not a prototype", () => {
    const v = decodeMethodResponse(response("<value><struct><member><name>__proto__</name><value><struct><member><name>polluted</name><value>yes</value></member></struct></value></member></struct></value>"));
    assert.equal(Object.getPrototypeOf(v), null);
    assert.deepEqual(Object.keys(v as object), ["__proto__"]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test("the encoder refuses what XML-RPC or XML 1.0 cannot carry, and odd method names", () => {
    for (const bad of ["\u0000", "\u0008", "\uFFFE"]) assert.throws(() => encodeMethodCall("m", [bad]), TypeError);
    for (const n of [2 ** 31, -(2 ** 31) - 1, Infinity, NaN]) assert.throws(() => encodeMethodCall("m", [n]), TypeError);
    for (const m of ["", "a b", "a<b>", "x&y"]) assert.throws(() => encodeMethodCall(m, []), TypeError);
  });
});
