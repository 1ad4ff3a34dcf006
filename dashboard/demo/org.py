"""The demo's scales and organisation: which regions a scale covers, and their 主管部门 and 预算单位 with codes and names.

Nothing here draws random numbers: the same scale always gives the same departments and units, in the
same order (their ids are their positions + 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.core.vocab import DEPARTMENT_KINDS
from dashboard.demo.words import (
    DEPARTMENTS,
    GENERIC_TEMPLATES,
    PARK_UNITS,
    PARKS,
    SECTOR_TEMPLATES,
    STREET_UNITS,
    STREETS,
    TOWN_UNITS,
    TOWNS,
)

MINISTRY, TOWNSHIP, PARK = DEPARTMENT_KINDS  # 部门, 乡镇街道, 园区


@dataclass(frozen=True)
class Scale:
    regions: tuple[tuple[str, str], ...]  # (county-level name, 6-digit division code)
    departments_per_region: int  # 部门 kind
    towns_per_region: int
    parks_per_region: int
    units: int
    projects: int  # per year
    checkpoints: tuple[tuple[int, int], ...]  # (month, day) of monitoring as-of dates


SCALES = {
    "county": Scale((("青山区", "341502"),), 48, 10, 2, 200, 1200, ((6, 30), (8, 31))),
    "city": Scale(
        (("青山区", "341502"), ("东湖区", "341503"), ("西岭县", "341522"), ("南屏县", "341523"), ("北川县", "341524")),
        48, 10, 2, 1500, 6000, ((6, 30), (8, 31)),
    ),
    "province": Scale(
        (("青山区", "341502"), ("东湖区", "341503"), ("西岭县", "341522")),
        40, 8, 2, 3000, 100_000, ((4, 30), (6, 30), (8, 31), (10, 31)),
    ),
}

_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1..99 in Chinese numerals, for 第二中学 and （三期）."""
    if n < 10:
        return _CN_DIGITS[n]
    if n >= 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def templates(spec: str) -> list[tuple[str, bool]]:
    """A template list "name|r;name|o" as (name, recurring) pairs."""
    out = []
    for item in spec.replace("\n", "").split(";"):
        item = item.strip()
        if item:
            name, kind = item.split("|")
            out.append((name, kind == "r"))
    return out


@dataclass
class Org:
    dept_code: list[str]
    dept_name: list[str]
    dept_kind: list[str]
    dept_sector: list[str]
    dept_templates: list[list[tuple[str, bool]]]
    dept_tkey: list[str]  # template set: a sector key of SECTOR_TEMPLATES, or the department's own list
    dept_weight: np.ndarray
    dept_region: list[int]
    unit_dept: np.ndarray  # department index (0-based) of each unit
    unit_code: list[str]
    unit_name: list[str]
    unit_kind: list[str]
    unit_sector: list[str]
    unit_contact: list[str | None]  # 联系人 (fictional), None for a few units that never gave one
    unit_phone: list[str | None]  # 联系电话 (fictional office numbers)


def _region_departments(scale: Scale, region: str) -> list[tuple]:
    """(name, kind, sector, template key, named 二级单位, relative size) of one region's departments."""
    short = region[:-1]  # 青山区 → 青山, for 青山经济开发区管委会
    entries = []
    for name, sector, tkey, subs, weight in DEPARTMENTS[: scale.departments_per_region]:
        full = name.replace("{r}", region) if "{r}" in name else region + name
        # schools and hospitals are named after the region, other 二级单位 after their department
        stem = region if tkey in ("教育", "卫生健康") else full
        entries.append((full, MINISTRY, sector, tkey, [stem + s for s in subs.split(",") if s], weight))
    n_streets = min(len(STREETS), max(1, scale.towns_per_region // 4))
    for town in TOWNS[: scale.towns_per_region - n_streets]:
        full = f"{region}{town}镇人民政府"
        entries.append((full, TOWNSHIP, "城乡社区", "乡镇",
                        [f"{region}{town}镇{s}" for s in TOWN_UNITS.split(",")], 2.2))
    for street in STREETS[:n_streets]:
        full = f"{region}{street}街道办事处"
        entries.append((full, TOWNSHIP, "城乡社区", "乡镇",
                        [f"{region}{street}街道{s}" for s in STREET_UNITS.split(",")], 1.5))
    for park in PARKS[: scale.parks_per_region]:
        full = short + park
        entries.append((full, PARK, "城乡社区", "园区",
                        [full.removesuffix("管委会") + s for s in PARK_UNITS.split(",")], 2.5))
    return entries


def build_org(scale: Scale) -> Org:
    generic = templates(GENERIC_TEMPLATES)
    d_code, d_name, d_kind, d_sector, d_tpl, d_weight, d_region, d_subs = [], [], [], [], [], [], [], []
    d_tkey: list[str] = []
    for r_i, (region, rcode) in enumerate(scale.regions):
        for j, (full, kind, sector, tkey, subs, weight) in enumerate(_region_departments(scale, region), start=1):
            d_code.append(f"{rcode}{j:03d}")
            d_name.append(full)
            d_kind.append(kind)
            d_sector.append(sector)
            d_tpl.append(templates(SECTOR_TEMPLATES.get(tkey, tkey)) + generic)
            d_tkey.append(tkey)
            d_weight.append(weight)
            d_region.append(r_i)
            d_subs.append(subs)
    weights = np.asarray(d_weight, dtype=float)
    n_dept = len(d_name)
    # 二级单位 per department in proportion to its size (largest remainder), beyond the 本级 unit
    want = weights / weights.sum() * max(0, scale.units - n_dept)
    n_sub = np.floor(want).astype(int)
    rest = scale.units - n_dept - n_sub.sum()
    if rest > 0:
        n_sub[np.argsort(-(want - n_sub), kind="stable")[:rest]] += 1
    u_dept, u_code, u_name, u_kind, u_sector = [], [], [], [], []
    seen: dict[str, int] = {}
    for d in range(n_dept):
        names = [d_name[d] + "本级"]
        subs = d_subs[d] + _more_units(d_tkey[d], d_name[d], scale.regions[d_region[d]][0], n_sub[d] - len(d_subs[d]))
        for k in range(n_sub[d]):
            base = subs[k % len(subs)]
            names.append(base if k < len(subs) else f"{base}第{cn_number(k // len(subs) + 1)}分中心")
        for j, name in enumerate(names, start=1):
            if name in seen:  # unit names are unique in the schema
                seen[name] += 1
                name = f"{name}（{cn_number(seen[name])}）"
            seen.setdefault(name, 1)
            u_dept.append(d)
            u_code.append(f"{d_code[d]}{j:03d}")
            u_name.append(name)
            u_kind.append(d_kind[d])
            u_sector.append(d_sector[d])
    contacts = [contact(i) for i in range(len(u_name))]
    return Org(d_code, d_name, d_kind, d_sector, d_tpl, d_tkey, weights, d_region,
               np.asarray(u_dept), u_code, u_name, u_kind, u_sector,
               [c for c, _ in contacts], [p for _, p in contacts])


_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
_GIVEN = ("敏", "伟", "芳", "娜", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰",
          "霞", "平", "刚", "桂英", "建华", "文静", "海燕", "志强", "晓东", "红梅", "建国", "丽华", "春燕", "国庆")
NO_CONTACT_EVERY = 23  # every 23rd unit has no contact on file: the 催报清单 shows a gap to fill


def contact(i: int) -> tuple[str | None, str | None]:
    """The fictional 联系人 and 联系电话 of the i-th unit (0-based): a name from common surnames and given names, an
    office number 0931-8xxxxxx unique per unit; (None, None) for every NO_CONTACT_EVERY-th unit. No random draws."""
    if i % NO_CONTACT_EVERY == NO_CONTACT_EVERY - 1:
        return None, None
    name = _SURNAMES[(i * 7) % len(_SURNAMES)] + _GIVEN[(i * 13 + i // len(_SURNAMES)) % len(_GIVEN)]
    return name, f"0931-8{(i * 7919 + 104729) % 1_000_000:06d}"


def _more_units(tkey: str, dept: str, region: str, n: int) -> list[str]:
    """二级单位 beyond a department's named ones: more schools, township health centres, service centres."""
    if n <= 0:
        return []
    if tkey == "教育":
        return [f"{region}第{cn_number(4 + k // 2)}{'中学' if k % 2 == 0 else '小学'}" for k in range(n)]
    if tkey == "卫生健康":
        return [f"{region}{town}镇卫生院" for town in TOWNS][:n]
    return [dept + s for s in ("综合服务中心", "信息中心", "机关服务中心", "培训中心", "后勤服务中心")][:n]
