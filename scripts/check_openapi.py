#!/usr/bin/env python3
"""Checks docs/openapi.yaml against itself, the mock's route table, lib/relay_rc.c and SPEC.md.

  scripts/check_openapi.py [--root DIR]

Structure (OpenAPI 3.1): `openapi` is 3.1.x; `info` has title and version; `paths` is an
object of paths starting with '/'; every operation has a non-empty `responses`, every
response a description (or a $ref), every status code key a valid one; every `$ref`
resolves inside the file; a Reference Object outside schemas has no other keys than
summary/description; operationIds are unique; every operation (of `paths` and
`webhooks`) carries `x-spec` (a section heading of SPEC.md) and `x-provenance`
(documented | inferred).

Against the code:
  - the set of (method, path) pairs in the OpenAPI equals the set in the route arrays of
    mock_relay/**/*.c (`const struct relay_route NAME[] = { {"GET", "/path", ...}, ... }`),
    and every such array is listed in mock_relay/http/relay_router.c's route_tables;
  - every error code named in the OpenAPI (the Error schema's enum and every per-response
    `error.code` enum/const) is in lib/relay_rc.c's table, the Error enum lists all of them,
    and a response's codes have that response's HTTP status in the table (fault_injected,
    whose status the fault chooses, excepted);
  - every 2xx response's `message` (const and examples) and status equal a row of SPEC.md's
    message table (§1.2.3) for that method and path, and every row is described.

Exit 0 when everything holds, 1 with one line per problem otherwise. Needs PyYAML
(Debian python3-yaml, installed by scripts/setup.sh).
"""
import argparse
import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.stderr.write("check_openapi: PyYAML is missing (apt-get install python3-yaml)\n")
    sys.exit(1)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
problems = []


def problem(msg):
    problems.append(msg)


def resolve(doc, ref):
    if not ref.startswith("#/"):
        return None
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def walk(node, path, in_schema, visit):
    visit(node, path, in_schema)
    if isinstance(node, dict):
        for k, v in node.items():
            child_schema = in_schema or k == "schema" or (path[-1:] == ["schemas"])
            walk(v, path + [str(k)], child_schema, visit)
    elif isinstance(node, list):
        for n, v in enumerate(node):
            walk(v, path + [str(n)], in_schema, visit)


def check_structure(doc, spec_sections):
    if not isinstance(doc, dict):
        problem("the file is not a YAML mapping")
        return
    if not re.fullmatch(r"3\.1\.\d+", str(doc.get("openapi", ""))):
        problem("openapi: not 3.1.x: %r" % doc.get("openapi"))
    info = doc.get("info")
    if not isinstance(info, dict) or not info.get("title") or not info.get("version"):
        problem("info: title and version are required")
    paths = doc.get("paths")
    if not isinstance(paths, dict) or not paths:
        problem("paths: missing or empty")
        return

    def visit(node, path, in_schema):
        if isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or resolve(doc, ref) is None:
                problem("%s: $ref %r does not resolve" % ("/".join(path), ref))
            if not in_schema:
                extra = set(node) - {"$ref", "summary", "description"}
                if extra:
                    problem("%s: Reference Object with extra keys %s" % ("/".join(path), sorted(extra)))

    walk(doc, [], False, visit)

    op_ids = {}
    items = [("paths", p, item) for p, item in paths.items()]
    items += [("webhooks", p, item) for p, item in (doc.get("webhooks") or {}).items()]
    for kind, p, item in items:
        if kind == "paths" and not p.startswith("/"):
            problem("paths: %r does not start with '/'" % p)
        if not isinstance(item, dict):
            problem("%s: not a Path Item" % p)
            continue
        for m, op in item.items():
            if m not in METHODS:
                if not m.startswith("x-") and m not in ("summary", "description", "parameters", "servers"):
                    problem("%s: unknown Path Item key %r" % (p, m))
                continue
            where = "%s %s" % (m.upper(), p)
            oid = op.get("operationId")
            if oid:
                if oid in op_ids:
                    problem("%s: operationId %s also used by %s" % (where, oid, op_ids[oid]))
                op_ids[oid] = where
            sec = op.get("x-spec")
            if not isinstance(sec, str) or not re.fullmatch(r"§\d+(\.\d+)*", sec):
                problem("%s: x-spec missing or not like \"§2.2\": %r" % (where, sec))
            elif sec[1:] not in spec_sections:
                problem("%s: x-spec %s is not a section of SPEC.md" % (where, sec))
            if op.get("x-provenance") not in ("documented", "inferred"):
                problem("%s: x-provenance must be documented or inferred" % where)
            resps = op.get("responses")
            if not isinstance(resps, dict) or not resps:
                problem("%s: no responses" % where)
                continue
            for st, r in resps.items():
                if not (st == "default" or re.fullmatch(r"[1-5](\d\d|XX)", str(st))):
                    problem("%s: bad response key %r" % (where, st))
                if not isinstance(r, dict) or not ("$ref" in r or r.get("description")):
                    problem("%s %s: a response needs a description" % (where, st))
            for prm in op.get("parameters", []):
                if "$ref" not in prm and not ({"name", "in"} <= set(prm)):
                    problem("%s: a parameter needs name and in" % where)


def operations(doc):
    for p, item in (doc.get("paths") or {}).items():
        if isinstance(item, dict):
            for m, op in item.items():
                if m in METHODS and isinstance(op, dict):
                    yield m.upper(), p, op


def deref(doc, node):
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 16:
        node = resolve(doc, node["$ref"]) or {}
        seen += 1
    return node


def schema_parts(doc, schema):
    """The schema and the members of its allOf, dereferenced."""
    schema = deref(doc, schema)
    out = [schema]
    for sub in schema.get("allOf", []) if isinstance(schema, dict) else []:
        out.extend(schema_parts(doc, sub))
    return out


def response_schemas(doc, resp):
    resp = deref(doc, resp)
    for media in (resp.get("content") or {}).values():
        if isinstance(media, dict) and "schema" in media:
            yield media["schema"]


def route_table(root):
    """{(METHOD, path)} from the route arrays of mock_relay/**/*.c, and the array names."""
    routes, arrays = {}, set()
    mdir = os.path.join(root, "mock_relay")
    arr_re = re.compile(r"const\s+struct\s+relay_route\s+(\w+)\s*\[\s*\]\s*=\s*\{(.*?)\n\s*\};", re.S)
    ent_re = re.compile(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"')
    sources = []
    for dirpath, dirnames, filenames in os.walk(mdir):
        dirnames[:] = [d for d in dirnames if d not in ("tests", "fuzz")]
        sources += [os.path.join(dirpath, n) for n in filenames if n.endswith(".c")]
    for path in sorted(sources):
        name = os.path.relpath(path, mdir)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for m in arr_re.finditer(text):
            arrays.add(m.group(1))
            for e in ent_re.finditer(m.group(2)):
                routes[(e.group(1), e.group(2))] = "%s:%s" % (name, m.group(1))
    with open(os.path.join(mdir, "http", "relay_router.c"), encoding="utf-8") as f:
        router = f.read()
    listed = re.search(r"route_tables\[\]\s*=\s*\{(.*?)\};", router, re.S)
    listed = set(re.findall(r"\w+", listed.group(1))) if listed else set()
    for a in sorted(arrays - listed):
        problem("mock_relay: route array %s is not listed in relay_router.c route_tables" % a)
    return routes


def rc_table(root):
    with open(os.path.join(root, "lib", "relay_rc.c"), encoding="utf-8") as f:
        text = f.read()
    table = {}
    for st, code in re.findall(r'\{\s*(\d{3})\s*,\s*"([a-z_]+)"', text):
        table.setdefault(code, set()).add(int(st))
    table.pop("ok", None)
    return table


def spec_tables(root):
    with open(os.path.join(root, "SPEC.md"), encoding="utf-8") as f:
        text = f.read()
    sections = set(re.findall(r"^###\s+(\d+(?:\.\d+)+)\s", text, re.M))
    sections |= set(re.findall(r"^##\s+§(\d+)\s", text, re.M))
    rows = set()
    row_re = re.compile(r"^\|\s*`(GET|PUT|POST|DELETE|OPTIONS|PATCH) (/\S+)`(?:\s*\([a-z ]+\))?\s*\|"
                        r"\s*(\d{3})\s*\|\s*`([^`]+)`\s*\|\s*$", re.M)
    for m in row_re.finditer(text):
        rows.add((m.group(1), m.group(2), int(m.group(3)), m.group(4)))
    if not rows:
        problem("SPEC.md: message table (§1.2.3) not found")
    return sections, rows


def check_against_code(doc, root):
    routes = route_table(root)
    ops = {(m, p) for m, p, _ in operations(doc)}
    for m, p in sorted(set(routes) - ops):
        problem("route %s %s (%s) is not in docs/openapi.yaml" % (m, p, routes[(m, p)]))
    for m, p in sorted(ops - set(routes)):
        problem("docs/openapi.yaml describes %s %s, which is not in the route table" % (m, p))

    rc = rc_table(root)
    err = deref(doc, resolve(doc, "#/components/schemas/Error") or {})
    enum = (((err.get("properties") or {}).get("code")) or {}).get("enum")
    if not enum:
        problem("components/schemas/Error: properties.code.enum missing")
    else:
        for c in sorted(set(enum) - set(rc)):
            problem("Error.code enum: %s is not in lib/relay_rc.c" % c)
        for c in sorted(set(rc) - set(enum)):
            problem("Error.code enum: lacks %s (lib/relay_rc.c)" % c)

    def codes_of(parts):
        out = []
        for part in parts:
            code = (((part.get("properties") or {}).get("error") or {}).get("properties") or {}).get("code")
            if isinstance(code, dict):
                out += list(code.get("enum") or [])
                if "const" in code:
                    out.append(code["const"])
        return out

    def message_of(parts):
        msgs, status = [], None
        for part in parts:
            props = part.get("properties") or {}
            msg = props.get("message")
            if isinstance(msg, dict):
                if "const" in msg:
                    msgs.append(msg["const"])
                msgs += list(msg.get("examples") or [])
                if "example" in msg:
                    msgs.append(msg["example"])
            sc = props.get("status_code")
            if isinstance(sc, dict) and "const" in sc:
                status = sc["const"]
        return msgs, status

    _, rows = spec_tables(root)
    described = set()
    for m, p, op in operations(doc):
        where = "%s %s" % (m, p)
        for st, resp in (op.get("responses") or {}).items():
            for schema in response_schemas(doc, resp):
                parts = schema_parts(doc, schema)
                for c in codes_of(parts):
                    if c not in rc:
                        problem("%s %s: error code %s is not in lib/relay_rc.c" % (where, st, c))
                    elif st != "default" and c != "fault_injected" and int(st) not in rc[c]:
                        problem("%s %s: error code %s has status %s in lib/relay_rc.c"
                                % (where, st, c, sorted(rc[c])))
                if str(st).startswith("2"):
                    msgs, status = message_of(parts)
                    if not msgs:
                        problem("%s %s: success response without a message const/example" % (where, st))
                    if status is not None and str(status) != str(st):
                        problem("%s %s: status_code const %s" % (where, st, status))
                    for msg in msgs:
                        row = (m, p, int(st), msg)
                        if row not in rows:
                            problem("%s %s: message %r is not the SPEC.md §1.2.3 row for this call"
                                    % (where, st, msg))
                        described.add(row)
    for row in sorted(rows - described):
        problem("SPEC.md §1.2.3 row %s %s %d %r is not described by docs/openapi.yaml" % row)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    help="repository root (default: the parent of scripts/)")
    args = ap.parse_args()
    path = os.path.join(args.root, "docs", "openapi.yaml")
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        print("check_openapi: %s: %s" % (path, e))
        return 1
    sections, _ = spec_tables(args.root)
    check_structure(doc, sections)
    if isinstance(doc, dict):
        check_against_code(doc, args.root)
    for p in problems:
        print("check_openapi: " + p)
    if problems:
        print("check_openapi: %d problem(s)" % len(problems))
        return 1
    n = sum(1 for _ in operations(doc))
    print("check_openapi: ok (%d operations on %d paths match the route table, lib/relay_rc.c and SPEC.md)"
          % (n, len(doc["paths"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
