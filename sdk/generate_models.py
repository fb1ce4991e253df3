"""Write panelist_client/models.py: a TypedDict (or Literal) for every schema of the API's OpenAPI document.

    python sdk/generate_models.py [path/to/openapi.json]     (`make generate` runs it after the document)

The models are what the API's JSON bodies are: plain dicts, typed for an editor and a type checker.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DOCUMENT = HERE.parent / "shared/panelist/api/openapi.json"
OUT = HERE / "panelist_client/models.py"
_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[1]


def annotation(schema: Any) -> str:
    """The Python type of one JSON schema."""
    if not isinstance(schema, dict) or not schema:
        return "Any"
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "const" in schema:
        return f"Literal[{schema['const']!r}]"
    if "enum" in schema:
        return f"Literal[{', '.join(repr(v) for v in schema['enum'])}]"
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            parts = list(dict.fromkeys(annotation(s) for s in schema[combinator]))
            return "Any" if "Any" in parts else " | ".join(parts)
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(annotation({**schema, "type": k}) for k in kind)
    if kind == "array":
        return f"list[{annotation(schema.get('items'))}]"
    if kind == "object":
        extra = schema.get("additionalProperties")
        return f"dict[str, {annotation(extra) if isinstance(extra, dict) else 'Any'}]"
    return _SCALARS.get(str(kind), "Any")


def _model(name: str, schema: dict[str, Any]) -> str:
    properties = schema.get("properties")
    if schema.get("type") != "object" or not properties:
        return f"{name} = {annotation(schema)}\n"
    required = set(schema.get("required", []))
    lines = [f"class {name}(TypedDict):"]
    if description := schema.get("description"):
        lines.append(f'    """{" ".join(str(description).split())}"""')
        lines.append("")
    functional = [p for p in properties if not p.isidentifier() or keyword.iskeyword(p)]
    if functional:  # a field named like a keyword: the functional syntax
        fields = ", ".join(
            f"{p!r}: {annotation(s) if p in required else f'NotRequired[{annotation(s)}]'}"
            for p, s in properties.items()
        )
        return f"{name} = TypedDict({name!r}, {{{fields}}})\n"
    for prop, prop_schema in properties.items():
        kind = annotation(prop_schema)
        lines.append(f"    {prop}: {kind if prop in required else f'NotRequired[{kind}]'}")
    return "\n".join(lines) + "\n"


def render(document: dict[str, Any]) -> str:
    schemas = document["components"]["schemas"]
    aliases = {n: s for n, s in schemas.items() if not (s.get("type") == "object" and s.get("properties"))}
    classes = {n: s for n, s in schemas.items() if n not in aliases}
    parts = [
        '"""The API\'s models, generated from its OpenAPI document by sdk/generate_models.py: do not edit."""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any, Literal, NotRequired, TypedDict",
        "",
        "# ruff: noqa: E501",
        "",
    ]
    # Aliases first (classes refer to them; with postponed annotations classes may refer to each other freely).
    for name in sorted(aliases, key=lambda n: "$ref" in json.dumps(aliases[n])):
        parts.append(_model(name, aliases[name]))
    for name in sorted(classes):
        parts += ["", _model(name, classes[name])]
    names = sorted(schemas)
    parts += ["", "__all__ = [", *(f'    "{n}",' for n in names), "]", ""]
    text = "\n".join(parts)
    return re.sub(r"\n{3,}", "\n\n\n", text)


def main(argv: list[str]) -> int:
    document = json.loads(Path(argv[0] if argv else DOCUMENT).read_text(encoding="utf-8"))
    OUT.write_text(render(document), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
