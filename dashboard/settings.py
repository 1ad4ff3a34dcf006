"""Rule thresholds and weights: DOMAIN.md's defaults, overridable from a TOML file without code.

The file is `dashboard.toml` in the working directory, or the path in `DASHBOARD_SETTINGS`.
Every key is optional; see docs/rules.md for the list and meaning of each.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DB_URL = "sqlite:///data/dashboard.db"


@dataclass(frozen=True)
class Rules:
    # 评价等级: score >= grade_excellent → 优, >= grade_good → 良, >= grade_pass → 中, else 差
    grade_excellent: float = 90.0
    grade_good: float = 80.0
    grade_pass: float = 60.0
    # 预警: lag (percentage points) >= yellow_lag → yellow, >= red_lag → red
    yellow_lag: float = 10.0
    red_lag: float = 20.0
    # "lag" (序时进度差) or "checkpoints" (固定节点, 四川 2025)
    warning_preset: str = "lag"
    # month → minimum cumulative execution rate (percent) at the end of that month
    checkpoints: tuple[tuple[int, float], ...] = ((4, 25.0), (6, 40.0), (8, 60.0), (10, 80.0))
    # 自评虚高: self − independent >= inflation_gap points, or a different grade
    inflation_gap: float = 10.0
    # 整改账龄 (days overdue) bucket upper bounds
    age_buckets: tuple[int, ...] = (30, 90, 180)
    # 部门综合得分 weights: coverage, execution, evaluation, rectification, not red
    weight_coverage: float = 20.0
    weight_execution: float = 20.0
    weight_evaluation: float = 30.0
    weight_rectification: float = 20.0
    weight_not_red: float = 10.0
    # execution sub-score = max(0, 100 − execution_penalty × lag points)
    execution_penalty: float = 2.0
    # departments with fewer projects than this are marked 样本少 in rankings
    min_projects: int = 5
    # 事前评估 pass line (points); None when the locality does not score it
    ex_ante_pass: float | None = None

    def weights(self) -> dict[str, float]:
        return {
            "coverage": self.weight_coverage,
            "execution": self.weight_execution,
            "evaluation": self.weight_evaluation,
            "rectification": self.weight_rectification,
            "not_red": self.weight_not_red,
        }


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    rules: Rules = field(default_factory=Rules)


def _coerce(name: str, value):
    if name == "checkpoints" and isinstance(value, dict):
        return tuple(sorted((int(k), float(v)) for k, v in value.items()))
    if name == "age_buckets":
        return tuple(int(v) for v in value)
    return value


def rules_from_mapping(data: dict) -> Rules:
    known = {f.name for f in dataclasses.fields(Rules)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"未知的规则设置项：{', '.join(sorted(unknown))}")
    return Rules(**{k: _coerce(k, v) for k, v in data.items()})


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Settings from the TOML file (if any) and DATABASE_URL."""
    path = Path(path or os.environ.get("DASHBOARD_SETTINGS", "dashboard.toml"))
    data: dict = {}
    if path.is_file():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    rules = rules_from_mapping(data.get("rules", {}))
    db_url = os.environ.get("DATABASE_URL") or data.get("database", {}).get("url") or DEFAULT_DB_URL
    return Settings(db_url=db_url, rules=rules)
