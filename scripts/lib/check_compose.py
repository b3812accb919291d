"""Checks docker-compose.yml without a Docker engine.

1. It validates against the Compose Specification's JSON schema
   (deploy/schema/compose-spec.json).
2. It cross-checks what it names: every file and build context exists in the
   repository; every image is pinned to a version; every published port is
   bound to 127.0.0.1 with its host port set by a variable documented in
   docs/operations.md; every DUALNET_* setting is a configuration key
   docs/operations.md documents; every service of ours (and its second
   instance) has a healthcheck and waits for PostgreSQL and the topics; the
   Kafka image is the version the tests run on; no password or key has a
   default (each is `${VAR:?…}`, so compose refuses to start without it).

Exits non-zero with one line per problem.
"""

import json
import pathlib
import re
import sys

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
OURS = {"governance-grid", "party-grid", "complaints", "arbitration"}


def config_keys(ops_text):
    """`section.key` pairs of the TOML listing in docs/operations.md."""
    keys, section = set(), ""
    for line in ops_text.splitlines():
        m = re.match(r"^\[([a-z0-9_.]+)\]", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^([a-z0-9_]+)\s*=", line)
        if m:
            keys.add(f"{section}.{m.group(1)}" if section else m.group(1))
    return keys


def main():
    problems = []
    compose_text = (ROOT / "docker-compose.yml").read_text()
    compose = yaml.safe_load(compose_text)
    schema = json.loads((ROOT / "deploy/schema/compose-spec.json").read_text())
    validator = jsonschema.Draft201909Validator(schema)
    for e in sorted(validator.iter_errors(compose), key=lambda e: list(e.path)):
        problems.append(f"schema: {'/'.join(map(str, e.path)) or '(top)'}: {e.message}")

    ops = (ROOT / "docs/operations.md").read_text()
    keys = config_keys(ops)
    for name, svc in compose.get("services", {}).items():
        image = svc.get("image")
        if image and (":" not in image or image.endswith(":latest")):
            problems.append(f"{name}: image {image} is not pinned to a version")
        build = svc.get("build")
        if build:
            if not (ROOT / build.get("context", ".")).is_dir():
                problems.append(f"{name}: build context {build.get('context')} is missing")
            dockerfile = ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
            if not dockerfile.is_file():
                problems.append(f"{name}: {dockerfile.relative_to(ROOT)} is missing")
        for v in svc.get("volumes", []):
            source = v.split(":")[0] if isinstance(v, str) else v.get("source", "")
            if source.startswith("./") and not (ROOT / source).exists():
                problems.append(f"{name}: mounted {source} is missing")
        for p in svc.get("ports", []):
            p = str(p)
            if not p.startswith("127.0.0.1:"):
                problems.append(f"{name}: port {p} is not bound to 127.0.0.1")
            m = re.match(r"127\.0\.0\.1:\$\{([A-Z0-9_]+):-\d+\}:\d+", p)
            if not m:
                problems.append(f"{name}: host port of {p} is not set by a variable")
            elif f"`{m.group(1)}`" not in ops and m.group(1) not in ops:
                problems.append(f"{name}: port variable {m.group(1)} is not in docs/operations.md")
        env = svc.get("environment", {}) or {}
        for var in env:
            if var.startswith("DUALNET_"):
                path = var[len("DUALNET_"):].lower().split("__")
                key = ".".join(path)
                named = len(path) > 2 and path[1] in ("properties", "keys")
                if key not in keys and not named:
                    problems.append(f"{name}: {var} is no configuration key in docs/operations.md ({key})")
        if name in OURS or name.removesuffix("-2") in OURS:
            if "healthcheck" not in svc:
                problems.append(f"{name}: no healthcheck")
            deps = svc.get("depends_on", {})
            for needed, condition in [("postgres", "service_healthy"), ("kafka-topics", "service_completed_successfully")]:
                if deps.get(needed, {}).get("condition") != condition:
                    problems.append(f"{name}: does not wait for {needed} ({condition})")
    for var in sorted(set(re.findall(r"\$\{([A-Z0-9_]+):[-?]", compose_text))):
        if var not in ops:
            problems.append(f"variable {var} is not documented in docs/operations.md")
    for var in sorted(set(re.findall(r"\$\{([A-Z0-9_]*(?:PASSWORD|KEY)[A-Z0-9_]*):-", compose_text))):
        problems.append(f"variable {var} has a default: a secret must be required (${{{var}:?…}})")
    # The broker compose runs is the version the tests run on.
    tested = re.search(r"KAFKA_VERSION=\$\{DUALNET_KAFKA_VERSION:-([0-9.]+)\}", (ROOT / "scripts/lib/infra.sh").read_text())
    for name, svc in compose.get("services", {}).items():
        image = svc.get("image", "")
        if image.startswith("apache/kafka:") and tested and image.split(":")[1] != tested.group(1):
            problems.append(f"{name}: {image} is not the tested Apache Kafka {tested.group(1)} (scripts/lib/infra.sh)")
    missing = OURS - set(compose.get("services", {}))
    if missing:
        problems.append(f"services missing: {sorted(missing)}")

    for p in problems:
        print(p)
    print(f"docker-compose.yml: {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
