#!/usr/bin/env python3
"""Validate JSON documents against a JSON Schema, for the subset hone's
schemas use (python3-jsonschema is not a dependency): type (incl. lists),
required, properties, additionalProperties (bool), items, enum, minimum,
exclusiveMinimum, minLength, pattern. Unknown keywords fail loudly so the
schema cannot silently outgrow this validator.

usage: validate_schema.py SCHEMA FILE... ('-' reads stdin)
"""
import json
import re
import sys

KNOWN = {"$schema", "$id", "title", "description", "type", "required", "properties",
         "additionalProperties", "items", "enum", "minimum", "exclusiveMinimum",
         "minLength", "pattern"}
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool)
    or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def validate(schema, value, path, errors):
    unknown = set(schema) - KNOWN
    if unknown:
        raise SystemExit(f"schema keyword(s) not supported by this validator: {sorted(unknown)}")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[t](value) for t in types):
            errors.append(f"{path}: expected {'/'.join(types)}, got {json.dumps(value)[:60]}")
            return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {json.dumps(value)} not one of {schema['enum']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: {value} < minimum {schema['minimum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errors.append(f"{path}: {value} <= exclusiveMinimum {schema['exclusiveMinimum']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{path}: shorter than {schema['minLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: {value!r} does not match /{schema['pattern']}/")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: missing required field '{key}'")
        props = schema.get("properties", {})
        for key, sub in value.items():
            if key in props:
                validate(props[key], sub, f"{path}.{key}", errors)
            elif schema.get("additionalProperties", True) is False:
                errors.append(f"{path}: unexpected field '{key}'")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            validate(schema["items"], item, f"{path}[{i}]", errors)


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    bad = 0
    for name in sys.argv[2:]:
        try:
            text = sys.stdin.read() if name == "-" else open(name).read()
            doc = json.loads(text)
        except (OSError, ValueError) as e:
            print(f"{name}: cannot read JSON: {e}")
            bad += 1
            continue
        errors = []
        validate(schema, doc, "$", errors)
        for e in errors:
            print(f"{name}: {e}")
        bad += bool(errors)
        if not errors:
            print(f"{name}: valid")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
