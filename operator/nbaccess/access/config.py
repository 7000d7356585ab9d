"""`.nbaccess.yaml`: per-rule severities, naming patterns and limits, all optional.

```yaml
severity:                 # per rule id: error | warning | info | off
  no-justification: error
  unused-group: off
naming:                   # per kind: a regular expression the NetBird name must match in full
  NetBirdGroup: "(usr|svc|rp)-[a-z0-9-]+"
  NetBirdPolicy: "[a-z0-9-]+-(dev|staging|prod)"
  NetworkResource: "[a-z0-9-]+"   # names of spec.resources entries
openNetworkResource:      # resources wider than these prefixes are reported
  minPrefixV4: 16
  minPrefixV6: 48
```

The file is found upward from the first input path (stopping at the repository root, the
folder holding `.git`), or given with `--config`. Without one, naming is off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from nbaccess.access.catalog import RULES, Severity
from nbaccess.access.loading import STDIN, InputError, parse, read_text
from nbaccess.access.object_rules import ResourceLimits

CONFIG_NAME = ".nbaccess.yaml"
SeverityOrOff = Literal["error", "warning", "info", "off"]
NamedKind = Literal[
    "NetBirdGroup", "NetBirdPolicy", "NetBirdNetwork", "SetupKey", "PostureCheck", "NetworkResource"
]


class _OpenNetworkResource(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", strict=True)

    min_prefix_v4: int = Field(16, ge=0, le=32)
    min_prefix_v6: int = Field(48, ge=0, le=128)


def _known_rule(rule_id: str) -> str:
    if rule_id not in RULES:
        raise ValueError(f"unknown rule {rule_id}; rules are {', '.join(sorted(RULES))}")
    return rule_id


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None
    return pattern


RuleId = Annotated[str, AfterValidator(_known_rule)]
Pattern = Annotated[str, AfterValidator(_compiles)]


class _ConfigFile(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", strict=True)

    severity: dict[RuleId, SeverityOrOff] = Field(default_factory=dict)
    naming: dict[NamedKind, Pattern] = Field(default_factory=dict)
    open_network_resource: _OpenNetworkResource = Field(default_factory=_OpenNetworkResource)


@dataclass(frozen=True)
class LintConfig:
    severity: dict[str, Severity | Literal["off"]] = field(default_factory=dict)
    naming: dict[str, re.Pattern[str]] = field(default_factory=dict)
    limits: ResourceLimits = field(default_factory=ResourceLimits)
    source: str = ""

    def severity_of(self, rule_id: str) -> Severity | Literal["off"]:
        return self.severity.get(rule_id, RULES[rule_id].severity)


def _shown(path: Path) -> str:
    """The path relative to the working directory when it is below it, as people typed it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def find_config(paths: list[str]) -> Path | None:
    """`.nbaccess.yaml` in the first input's folder or above, up to the repository root."""
    first = next((p for p in paths if p != STDIN), None)
    start = Path(first).resolve() if first is not None else Path.cwd()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate / CONFIG_NAME
        if (candidate / ".git").exists():
            return None
    return None


def load_config(path: Path | None) -> LintConfig:
    if path is None:
        return LintConfig()
    source = _shown(path)
    documents = parse(read_text(source), source)
    if not documents:
        if read_text(source).strip():
            raise InputError(f"{source}: must be a mapping (see `nbaccess lint --help`)")
        return LintConfig(source=source)
    document = documents[0]
    try:
        parsed = _ConfigFile.model_validate(dict(document.data))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"] if part != "[key]")
        line = document.line_of(where)
        message = error["msg"].removeprefix("Value error, ")
        raise InputError(f"{source}:{line}: {where}: {message}") from None
    return LintConfig(
        severity=dict(parsed.severity),
        naming={kind: re.compile(pattern) for kind, pattern in parsed.naming.items()},
        limits=ResourceLimits(
            parsed.open_network_resource.min_prefix_v4, parsed.open_network_resource.min_prefix_v6
        ),
        source=source,
    )
