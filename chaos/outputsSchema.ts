/**
 * The whole stack-outputs document the chaos CLI drills from (`--outputs FILE` or `--stack`),
 * checked against one schema before anything contacts AWS or a lab: every field the drill reads,
 * its format, and what must be unique across the document (one instance id is one machine: two nodes
 * with the same id would make the stopper stop the wrong one, and the tag guard could not tell).
 * chaos/aws/aws.ts parseStackOutputs then types the checked document. A violation is an
 * OutputsSchemaError naming the field, its value and the fix; the CLI exits 2 (bad input).
 */
import { parseIpv4 } from "../base/ipv4";
import { quote } from "../base/quote";

export class OutputsSchemaError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`stack output "${field}": ${reason}`);
    this.name = "OutputsSchemaError";
  }
}

const SAVE = "save them with `pulumi stack output --json --show-secrets > outputs.json`";
const SECRET_PLACEHOLDER = "[secret]";
const EC2_INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const NODE_NAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

type Doc = Record<string, unknown>;
const isObj = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The text of an outputs file as JSON. A byte-order mark or UTF-16 (what PowerShell's `>` writes) is
 * named with the fix instead of "not JSON".
 */
export function parseOutputsText(text: string, source: string): unknown {
  const hint = `re-save ${source} as UTF-8 without a byte-order mark (bash: \`pulumi stack output --json --show-secrets > outputs.json\`; PowerShell 7: \`... | Out-File -Encoding utf8NoBOM outputs.json\`)`;
  if (text.includes("\u0000") || text.startsWith("\ufffd\ufffd")) {
    throw new OutputsSchemaError(
      "(file)",
      `${source} looks like UTF-16 text (NUL bytes between the characters); ${hint}`,
    );
  }
  if (text.startsWith("\ufeff"))
    throw new OutputsSchemaError(
      "(file)",
      `${source} starts with a byte-order mark (U+FEFF); ${hint}`,
    );
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new OutputsSchemaError(
      "(file)",
      `${source} is not JSON (${e instanceof Error ? e.message : String(e)}); ${SAVE}`,
    );
  }
}

/** Reads one field with a check; `expected` says what it must be. */
function need<T>(
  o: Doc,
  field: string,
  path: string,
  check: (v: unknown) => v is T,
  expected: string,
): T {
  const v = o[field];
  if (v === SECRET_PLACEHOLDER)
    throw new OutputsSchemaError(
      path,
      "is a hidden secret; read the outputs with `pulumi stack output --json --show-secrets`",
    );
  if (v === undefined)
    throw new OutputsSchemaError(
      path,
      `is missing; ${SAVE} from a stack deployed with this version of swarm-ha`,
    );
  if (!check(v)) throw new OutputsSchemaError(path, `must be ${expected} (got ${shown(v)})`);
  return v;
}

/** A value for a message, cut short: a pasted key or a whole document is not repeated. */
function shown(v: unknown): string {
  const q = quote(v);
  return q.length > 120 ? `${q.slice(0, 100)}... (${q.length} characters)` : q;
}

const str =
  (re: RegExp) =>
  (v: unknown): v is string =>
    typeof v === "string" && re.test(v);
const ipv4 = (v: unknown): v is string =>
  typeof v === "string" && parseIpv4(v, { canonical: true }) !== undefined;
const IPV4 = "an IPv4 address like 203.0.113.21";

function checkUrl(o: Doc): string {
  const url = need(
    o,
    "url",
    "url",
    (v): v is string => typeof v === "string",
    "the entry point URL, e.g. http://203.0.113.10/",
  );
  let u: URL;
  try {
    u = new URL(url);
  } catch (e) {
    throw new OutputsSchemaError(
      "url",
      `${shown(url)} is not a URL (${e instanceof Error ? e.message : String(e)}); expected the entry point, e.g. http://203.0.113.10/`,
    );
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new OutputsSchemaError(
      "url",
      `${shown(url)} is not an http(s) URL; expected e.g. http://203.0.113.10/`,
    );
  return url;
}

/** Every node: fields and formats; then what must be unique across nodes and balancers. */
function checkNodes(o: Doc): Array<{ name: string; instanceId: string; role: string }> {
  const nodes = need(
    o,
    "nodes",
    "nodes",
    (v): v is unknown[] => Array.isArray(v) && v.length > 0,
    "a non-empty list of the swarm's nodes",
  );
  const out = nodes.map((n, i) => {
    const at = `nodes[${i}]`;
    if (!isObj(n))
      throw new OutputsSchemaError(
        at,
        `must be an object { name, role, instanceId, privateIp, publicIp } (got ${shown(n)})`,
      );
    const name = need(n, "name", `${at}.name`, str(NODE_NAME), "a host name like swarm-worker-0");
    const role = need(
      n,
      "role",
      `${at}.role`,
      (v): v is string => v === "manager" || v === "worker",
      '"manager" or "worker"',
    );
    const instanceId = need(
      n,
      "instanceId",
      `${at}.instanceId`,
      str(EC2_INSTANCE_ID),
      "an EC2 instance id like i-0123456789abcdef0",
    );
    const privateIp = need(n, "privateIp", `${at}.privateIp`, ipv4, IPV4);
    need(n, "publicIp", `${at}.publicIp`, ipv4, IPV4);
    if (n.swarmNodeId !== undefined && n.swarmNodeId !== null)
      need(n, "swarmNodeId", `${at}.swarmNodeId`, str(/^[A-Za-z0-9]{1,64}$/), "a swarm node id");
    return { name, role, instanceId, privateIp };
  });
  if (!out.some((n) => n.role === "manager"))
    throw new OutputsSchemaError(
      "nodes",
      "has no manager; the drill observes the swarm through one",
    );
  for (const key of ["name", "instanceId", "privateIp"] as const) {
    const first = new Map<string, number>();
    out.forEach((n, i) => {
      const j = first.get(n[key]);
      if (j !== undefined) {
        throw new OutputsSchemaError(
          `nodes[${i}].${key}`,
          `${quote(n[key])} is also nodes[${j}].${key}; each node is one machine (the drill would stop the wrong instance): ${SAVE}`,
        );
      }
      first.set(n[key], i);
    });
  }
  return out;
}

function checkEdge(o: Doc, nodes: ReadonlyArray<{ instanceId: string }>): void {
  // Optional fields: absent, or null where an output resolved to nothing (a single balancer has no EIP pair).
  if (o.edgeInstanceIds !== undefined && o.edgeInstanceIds !== null) {
    const ids = need(
      o,
      "edgeInstanceIds",
      "edgeInstanceIds",
      (v): v is unknown[] => Array.isArray(v),
      "a list of EC2 instance ids",
    );
    ids.forEach((id, i) => {
      if (!str(EC2_INSTANCE_ID)(id))
        throw new OutputsSchemaError(
          `edgeInstanceIds[${i}]`,
          `must be an EC2 instance id like i-0123456789abcdef0 (got ${shown(id)})`,
        );
      const dup = ids.indexOf(id);
      if (dup !== i)
        throw new OutputsSchemaError(
          `edgeInstanceIds[${i}]`,
          `${quote(id)} is also edgeInstanceIds[${dup}]; each balancer is one machine: ${SAVE}`,
        );
      const node = nodes.findIndex((n) => n.instanceId === id);
      if (node >= 0)
        throw new OutputsSchemaError(
          `edgeInstanceIds[${i}]`,
          `${quote(id)} is also nodes[${node}].instanceId; a balancer is not a swarm node: ${SAVE}`,
        );
    });
  }
  if (o.edgeEipAllocationId !== undefined && o.edgeEipAllocationId !== null) {
    need(
      o,
      "edgeEipAllocationId",
      "edgeEipAllocationId",
      str(/^eipalloc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/),
      "an Elastic IP allocation id like eipalloc-0123456789abcdef0",
    );
  }
}

function checkAddresses(o: Doc): void {
  const first = need(o, "managerAddress", "managerAddress", ipv4, IPV4);
  const all = need(
    o,
    "managerAddresses",
    "managerAddresses",
    (v): v is unknown[] => Array.isArray(v) && v.length > 0,
    "a non-empty list of IPv4 addresses",
  );
  all.forEach((a, i) => {
    if (!ipv4(a))
      throw new OutputsSchemaError(`managerAddresses[${i}]`, `must be ${IPV4} (got ${shown(a)})`);
  });
  if (!all.includes(first))
    throw new OutputsSchemaError(
      "managerAddress",
      `${quote(first)} is not among managerAddresses; ${SAVE}`,
    );
}

/** The drill's --target must name something this stack has, checked before EC2 is asked anything. */
function checkTarget(target: string, region: string, nodes: ReadonlyArray<{ name: string }>): void {
  if (["worker", "manager", "edge"].includes(target)) return;
  if (target.startsWith("az:")) {
    const zone = target.slice(3);
    if (zone.startsWith(region) && /^[a-z0-9-]+$/.test(zone) && zone.length > region.length) return;
    throw new OutputsSchemaError(
      "region",
      `--target ${target}: ${quote(zone)} is not a zone of the stack's region ${region}; use e.g. --target az:${region}a`,
    );
  }
  if (nodes.some((n) => n.name === target)) return;
  throw new OutputsSchemaError(
    "nodes",
    `--target ${quote(target)} is not a node of this stack; use worker, manager, edge, az:<zone> or one of ${nodes.map((n) => n.name).join(", ")}`,
  );
}

/**
 * Checks the whole document (every field the drill reads) and, when given, that --target names
 * something in it. Throws an OutputsSchemaError for the first violation.
 */
export function checkOutputsDocument(json: unknown, target?: string): void {
  if (!isObj(json))
    throw new OutputsSchemaError(
      "(root)",
      `must be a JSON object as printed by \`pulumi stack output --json --show-secrets\` (got ${shown(json)})`,
    );
  checkUrl(json);
  const region = need(json, "region", "region", str(REGION), "an AWS region like eu-west-1");
  checkAddresses(json);
  const nodes = checkNodes(json);
  checkEdge(json, nodes);
  need(
    json,
    "serviceName",
    "serviceName",
    str(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/),
    "a swarm service name like was",
  );
  need(
    json,
    "replicas",
    "replicas",
    (v): v is number => Number.isSafeInteger(v) && (v as number) >= 1,
    "a whole number of replicas, 1 or more",
  );
  need(
    json,
    "managersRunTasks",
    "managersRunTasks",
    (v): v is boolean => typeof v === "boolean",
    "true or false",
  );
  need(json, "sshUser", "sshUser", str(/^[a-z_][a-z0-9_-]{0,31}$/), "a login name like ubuntu");
  need(
    json,
    "sshPrivateKey",
    "sshPrivateKey",
    str(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+-----END [A-Z ]*PRIVATE KEY-----/),
    "an OpenSSH or PEM private key",
  );
  const tags = need(json, "stackTags", "stackTags", isObj, "an object { project, stack }");
  need(
    tags,
    "project",
    "stackTags.project",
    str(/^[A-Za-z0-9_.-]{1,100}$/),
    "the project name, e.g. swarm-ha",
  );
  need(
    tags,
    "stack",
    "stackTags.stack",
    str(/^[A-Za-z0-9_.\/-]{1,100}$/),
    "the stack name, e.g. dev",
  );
  need(
    json,
    "vpcId",
    "vpcId",
    str(/^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/),
    "a VPC id like vpc-0123456789abcdef0",
  );
  need(
    json,
    "deploymentId",
    "deploymentId",
    str(/^[A-Za-z0-9._-]{6,64}$/),
    "the deployment's unique id",
  );
  if (target !== undefined) checkTarget(target, region, nodes);
}
