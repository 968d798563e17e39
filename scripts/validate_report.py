#!/usr/bin/env python3
"""Validate relay-conformance reports (SPEC.md §12.3). Standard library only.

  validate_report.py [--schema conformance/report.schema.json] [--json FILE]
                     [--junit FILE] [--html FILE] [--expect-cases N]

--json   checks FILE against the JSON Schema (a subset of draft 2020-12 is implemented:
         type, enum, const, pattern, minLength, minimum, required, properties,
         additionalProperties (boolean), items, oneOf) and then the report's own
         consistency: summary counts equal the verdicts of the cases, unique ids,
         exit_status 0 iff no FAIL/XPASS.
--junit  parses FILE with xml.etree.ElementTree and checks the JUnit structure:
         <testsuites> of <testsuite> with consistent tests/failures/skipped counts,
         each <testcase> with classname and name, at most one <failure>/<skipped>.
--html   checks FILE is one self-contained page (no external scripts/stylesheets,
         one <table>, a row per case).
Exit status 0 when every given report is valid, 1 otherwise (errors on stderr).
"""
import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
SUPPORTED = {"$schema", "$id", "title", "description", "type", "enum", "const", "pattern",
             "minLength", "minimum", "required", "properties", "additionalProperties",
             "items", "oneOf"}


def validate(value, schema, path, errors):
    """Appends to errors every way value breaks schema."""
    unknown = set(schema) - SUPPORTED
    if unknown:
        errors.append(f"{path}: schema uses unsupported keywords {sorted(unknown)}")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[t](value) for t in types):
            errors.append(f"{path}: expected type {types}, got {type(value).__name__}")
            return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: {value!r} != {schema['const']!r}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{path}: shorter than {schema['minLength']}")
    if TYPES["number"](value) and "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{path}: {value} < {schema['minimum']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: missing required key {key!r}")
        props = schema.get("properties", {})
        for key, sub in value.items():
            if key in props:
                validate(sub, props[key], f"{path}.{key}", errors)
            elif schema.get("additionalProperties", True) is False:
                errors.append(f"{path}: unexpected key {key!r}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            validate(item, schema["items"], f"{path}[{i}]", errors)
    if "oneOf" in schema:
        matches = 0
        for sub in schema["oneOf"]:
            sub_errors = []
            validate(value, sub, path, sub_errors)
            matches += not sub_errors
        if matches != 1:
            errors.append(f"{path}: matches {matches} of the oneOf schemas (expected 1)")


def check_json(path, schema_path, expect_cases, errors):
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validate(report, schema, "$", errors)
    if errors:
        return
    counts = {k: 0 for k in ("pass", "fail", "warn", "info", "skip", "xfail", "xpass")}
    ids = set()
    for case in report["cases"]:
        counts[case["verdict"].lower()] += 1
        if case["id"] in ids:
            errors.append(f"duplicate case id {case['id']}")
        ids.add(case["id"])
        if case["verdict"] in ("FAIL", "XPASS", "SKIP", "WARN", "INFO") and not case["reason"]:
            errors.append(f"{case['id']}: a {case['verdict']} without a reason")
    summary = report["summary"]
    for k, n in counts.items():
        if summary[k] != n:
            errors.append(f"summary.{k} = {summary[k]} but {n} cases have that verdict")
    if summary["total"] != len(report["cases"]):
        errors.append(f"summary.total = {summary['total']} but {len(report['cases'])} cases")
    failed = counts["fail"] + counts["xpass"]
    if report["exit_status"] != (1 if failed else 0):
        errors.append(f"exit_status {report['exit_status']} with {failed} failures")
    if expect_cases is not None and len(report["cases"]) != expect_cases:
        errors.append(f"{len(report['cases'])} cases, expected {expect_cases}")


def check_junit(path, expect_cases, errors):
    root = ET.parse(path).getroot()
    if root.tag != "testsuites":
        errors.append(f"root element <{root.tag}>, expected <testsuites>")
        return
    total = failures = skipped = 0
    names = set()
    for suite in root:
        if suite.tag != "testsuite":
            errors.append(f"<{suite.tag}> under <testsuites>")
            continue
        n = f = s = 0
        for child in suite:
            if child.tag == "properties":
                continue
            if child.tag != "testcase":
                errors.append(f"<{child.tag}> in testsuite {suite.get('name')}")
                continue
            n += 1
            if not child.get("classname") or not child.get("name"):
                errors.append("a testcase without classname or name")
            if child.get("name") in names:
                errors.append(f"duplicate testcase {child.get('name')}")
            names.add(child.get("name"))
            float(child.get("time", "0"))
            kinds = [c.tag for c in child if c.tag in ("failure", "error", "skipped")]
            if len(kinds) > 1:
                errors.append(f"{child.get('name')}: several of {kinds}")
            f += kinds.count("failure")
            s += kinds.count("skipped")
        for attr, got in (("tests", n), ("failures", f), ("skipped", s)):
            if int(suite.get(attr, "-1")) != got:
                errors.append(f"testsuite {suite.get('name')}: {attr}={suite.get(attr)} "
                              f"but {got} found")
        total, failures, skipped = total + n, failures + f, skipped + s
    for attr, got in (("tests", total), ("failures", failures), ("skipped", skipped)):
        if int(root.get(attr, "-1")) != got:
            errors.append(f"testsuites: {attr}={root.get(attr)} but {got} found")
    if expect_cases is not None and total != expect_cases:
        errors.append(f"{total} testcases, expected {expect_cases}")


def check_html(path, expect_cases, errors):
    with open(path, encoding="utf-8") as f:
        page = f.read()
    if not page.startswith("<!DOCTYPE html>"):
        errors.append("HTML does not start with <!DOCTYPE html>")
    if re.search(r"<script\b|<link\b|\bsrc=\"http", page, re.I):
        errors.append("HTML is not self-contained (script, link or remote src)")
    if page.count("<table>") != 1 or "</html>" not in page:
        errors.append("HTML lacks its one <table> or </html>")
    rows = len(re.findall(r"<tr class=\"", page))
    if expect_cases is not None and rows != expect_cases:
        errors.append(f"HTML has {rows} case rows, expected {expect_cases}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schema", default="conformance/report.schema.json")
    ap.add_argument("--json")
    ap.add_argument("--junit")
    ap.add_argument("--html")
    ap.add_argument("--expect-cases", type=int)
    args = ap.parse_args()
    ok = True
    for kind, path in (("json", args.json), ("junit", args.junit), ("html", args.html)):
        if path is None:
            continue
        errors = []
        try:
            if kind == "json":
                check_json(path, args.schema, args.expect_cases, errors)
            elif kind == "junit":
                check_junit(path, args.expect_cases, errors)
            else:
                check_html(path, args.expect_cases, errors)
        except (OSError, ValueError, ET.ParseError) as e:
            errors.append(str(e))
        for e in errors[:50]:
            print(f"validate_report: {path}: {e}", file=sys.stderr)
        if errors:
            ok = False
        else:
            print(f"validate_report: {path}: valid {kind}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
