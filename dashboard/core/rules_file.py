"""Saving the rules panel's values as the defaults: the [rules] table of the settings file, written by staff
and admins (dashboard.ui.filters). An operation that writes, so it checks the permission and writes the audit
entry itself; the settings module only reads."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path

from dashboard.core import accounts, audit
from dashboard.core.settings import Rules, SettingsError, rules_from_mapping, settings_path


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def rules_toml(rules: Rules) -> str:
    """The [rules] table (and [rules.checkpoints]) giving exactly `rules`: the fields that differ from the defaults."""
    base = Rules()
    lines = ["[rules]"]
    for f in dataclasses.fields(Rules):
        value = getattr(rules, f.name)
        if f.name != "checkpoints" and value != getattr(base, f.name):
            lines.append(f"{f.name} = {_toml_value(value)}")
    if rules.checkpoints != base.checkpoints:
        lines.append("")
        lines.append("[rules.checkpoints]")
        lines += [f"{int(m)} = {float(v)!r}" for m, v in rules.checkpoints]
    return "\n".join(lines) + "\n"


def _without_rules(text: str) -> str:
    """The file's text without its [rules] and [rules.*] tables (every other line, comments included, kept)."""
    out, skipping = [], False
    for line in text.splitlines():
        head = line.strip()
        if head.startswith("[") and not head.startswith("[["):
            name = head.strip("[]").split("#")[0].strip().strip('"')
            skipping = name == "rules" or name.startswith("rules.")
        if not skipping:
            out.append(line)
    return "\n".join(out).rstrip() + "\n" if any(s.strip() for s in out) else ""


def save_rules(rules: Rules, *, actor, url: str, path: str | os.PathLike | None = None) -> Path:
    """Write `rules` as the [rules] table of the settings file (DASHBOARD_SETTINGS or ./dashboard.toml), keeping
    every other table and comment; the actor must be allowed to (accounts.require "settings"). Audited as
    `settings` with the values written. Returns the file written."""
    accounts.require(actor, "settings")
    path = Path(path or settings_path())
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    block = rules_toml(rules)
    new = (_without_rules(old) + "\n" if _without_rules(old) else "") + block
    check = tomllib.loads(new)  # never write a file the next start could not read
    if rules_from_mapping(check.get("rules", {})) != rules:
        raise SettingsError("规则设置无法写成 dashboard.toml，未保存")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(path)
    audit.record(url, actor.name, actor.role, "settings", {"file": str(path), "rules": tomllib.loads(block)["rules"]})
    return path
