"""Checks YAML files against the topology JSON Schema, as an editor would (an independent reader:
PyYAML and jsonschema, not vpcsim's own parser)."""
import json
import sys

import jsonschema
import yaml


class NoDates(yaml.SafeLoader):
    """PyYAML follows YAML 1.1, where `Version: 2012-10-17` is a date; vpcsim (YAML 1.2) reads text."""


NoDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def main() -> int:
    schema = json.load(open(sys.argv[1]))
    validator = jsonschema.Draft202012Validator(schema)
    failed = 0
    for path in sys.argv[2:]:
        doc = yaml.load(open(path), Loader=NoDates)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors:
            failed += 1
            where = "/".join(str(p) for p in e.path)
            print(f"{path}: {where}: {e.message}")
        if not errors:
            print(f"{path}: conforms")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
