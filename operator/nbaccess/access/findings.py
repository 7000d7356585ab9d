"""A finding: one rule broken by one object, at one field."""

from __future__ import annotations

from dataclasses import dataclass

from nbaccess.access.catalog import Severity, rule


@dataclass(frozen=True)
class Finding:
    """What a rule found. Object-local rules fill `rule`, `field` and `message`; the lint run
    adds which object it is, where it was read from and the severity in force."""

    rule: str
    field: str
    message: str
    severity: Severity
    kind: str = ""
    namespace: str = ""
    name: str = ""
    file: str = ""
    line: int = 0
    # Where the object itself starts, for the heading of its findings.
    object_line: int = 0

    @property
    def advice(self) -> str:
        return rule(self.rule).advice

    def sort_key(self) -> tuple[str, int, str, str, str, str]:
        return (self.file, self.line, self.kind, self.name, self.rule, self.field)


def finding(rule_id: str, field: str, message: str) -> Finding:
    """A finding at the rule's default severity."""
    return Finding(rule_id, field, message, rule(rule_id).severity)
