"""Turning a 办事指南 (as the hall returns it) into what the citizen reads, and its card payload."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from bot.vocabulary import TICKET_MATTER_KINDS, Aspect, MatterKind, TicketStatus

ASPECTS = Aspect.values()
ASPECT_HINT = "还可以接着问我：要带什么材料、办理流程、多久办好、收不收费、在哪里办、网上能不能办、要跑几次、依据是什么。"
# What the bot says instead of a fact the catalogue marks `unverified: true`.
AT_WINDOW = "具体以窗口为准"


def visits_badge(visits: int) -> str:
    return "跑零次" if visits == 0 else "最多跑一次"


def _material_line(material: Dict[str, Any]) -> str:
    line = f"{material['name']}（{material['form']}"
    if material.get("copies", 1) > 1:
        line += f"{material['copies']}份"
    line += "）"
    if material.get("exempt"):
        line += "——免提交，部门通过数据共享获取"
    if material.get("note"):
        line += f"；{material['note']}"
    return line


def _materials(guide: Dict[str, Any]) -> List[Dict[str, Any]]:
    return guide.get("merged_materials") or guide.get("materials") or []


def _time_limit(guide: Dict[str, Any]) -> str:
    """承诺 and 法定 time limits, each said only when the catalogue has checked it."""
    limit = guide["time_limit"]
    promised = "即办" if limit.get("promised_days") == 0 else limit["promised"]
    legal_ok, promised_ok = not limit.get("legal_unverified"), not limit.get("promised_unverified")
    if not legal_ok and not promised_ok:
        return AT_WINDOW
    if not promised_ok:
        return f"法定{limit['legal']}（承诺时限{AT_WINDOW}）"
    legal = f"法定{limit['legal']}" if legal_ok else f"法定时限{AT_WINDOW}"
    return f"承诺{promised}（{legal}）" if promised != "即办" else f"即办（{legal}）"


def _fee_short(fee: Dict[str, Any]) -> str:
    if fee.get("unverified"):
        return AT_WINDOW
    return "不收费" if fee.get("free") else fee["amount"]


def _fee(guide: Dict[str, Any]) -> str:
    fee = guide["fee"]
    if fee.get("unverified") or fee.get("free") or not fee.get("basis"):
        return _fee_short(fee)
    return f"{fee['amount']}（依据：{fee['basis']}）"


def _citation(item: Any) -> str:
    if isinstance(item, str):  # a guide from before citations were structured
        return item
    version = f"（{item['version']}版）" if item.get("version") else ""
    text = f"{item['title']}{version}{item.get('articles') or ''}"
    return f"{text}（尚未核实，{AT_WINDOW}）" if item.get("unverified") else text


def _basis_line(label: str, fact: str, basis: Any, unverified: bool) -> str:
    if unverified:
        return f"· {label}：{AT_WINDOW}（尚未核实依据）"
    return f"· {label}：{fact}——依据：{basis}"


def _basis_answer(guide: Dict[str, Any]) -> str:
    """依据是什么: each fee and time limit with its own basis, then the legal citations."""
    fee, limit = guide["fee"], guide["time_limit"]
    fee_fact = "不收费" if fee.get("free") else fee.get("amount", "")
    promised = "即办" if limit.get("promised_days") == 0 else limit["promised"]
    lines = [
        _basis_line("收费", fee_fact, fee.get("basis"), bool(fee.get("unverified") or not fee.get("basis"))),
        _basis_line("法定时限", limit["legal"], limit.get("legal_basis"),
                    bool(limit.get("legal_unverified") or not limit.get("legal_basis"))),
        _basis_line("承诺时限", promised, limit.get("promised_basis"),
                    bool(limit.get("promised_unverified") or not limit.get("promised_basis"))),
    ]
    citations = [f"{i}. {_citation(c)}" for i, c in enumerate(guide.get("legal_basis") or [], 1)]
    text = "依据：\n" + "\n".join(lines)
    return text + ("\n设定依据：\n" + "\n".join(citations) if citations else "")


def source_footer(guide: Dict[str, Any]) -> str:
    """以…为准（核对于YYYY-MM-DD）and the source's link: the last line of every answer about a guide."""
    source = guide.get("source") or {}
    if not source.get("title"):
        return ""
    checked = f"（核对于{guide['verified_on']}）" if guide.get("verified_on") else ""
    link = f"：{source['url']}" if source.get("url") else ""
    return f"以{source['title']}为准{checked}{link}"


def _with_footer(guide: Dict[str, Any], text: str) -> str:
    footer = source_footer(guide)
    return f"{text}\n{footer}" if footer else text


def _online(guide: Dict[str, Any]) -> str:
    online = guide["online"]
    text = f"{online['entry']}"
    text += "，可全程网办，不用跑腿" if online.get("full_online") else "，可网上申请或预约"
    if online.get("note"):
        text += f"（{online['note']}）"
    return text


def _location(guide: Dict[str, Any]) -> str:
    loc = guide["location"]
    return f"{loc['window']}；{loc['address']}；办公时间：{loc['hours']}"


def _header(guide: Dict[str, Any]) -> str:
    dept = guide.get("department_name") or guide["department"]
    return f"【{guide['name']}】{dept}"


def _materials_answer(guide: Dict[str, Any]) -> str:
    items = _materials(guide)
    lines = [f"{i}. {_material_line(m)}" for i, m in enumerate(items, 1)]
    exempt = sum(1 for m in items if m.get("exempt"))
    tail = f"\n其中{exempt}项免提交。" if exempt else ""
    return "需要准备的材料：\n" + "\n".join(lines) + tail


def _conditions_answer(guide: Dict[str, Any]) -> str:
    lines = [f"{i}. {line}" for i, line in enumerate(guide.get("conditions") or [], 1)]
    return "申请条件：\n" + ("\n".join(lines) if lines else "没有特别的条件，符合事项说明的情形即可申请。")


def _visits_answer(guide: Dict[str, Any]) -> str:
    visits = guide["visits"]
    detail = "全程不用到现场" if visits == 0 else "最多到现场一次"
    return f"到现场次数：{visits}次（{visits_badge(visits)}），{detail}。"


_ANSWERS: Dict[str, Callable[[Dict[str, Any]], str]] = {
    Aspect.CONDITIONS: _conditions_answer,
    Aspect.MATERIALS: _materials_answer,
    Aspect.STEPS: lambda g: "办理流程：\n" + "\n".join(f"{i}. {step}" for i, step in enumerate(g["steps"], 1)),
    Aspect.TIME_LIMIT: lambda g: f"办结时限：{_time_limit(g)}。",
    Aspect.FEE: lambda g: f"收费：{_fee(g)}。",
    Aspect.LOCATION: lambda g: f"办理地点：{_location(g)}。\n咨询电话：{g['phone']}",
    Aspect.ONLINE: lambda g: f"网上办理：{_online(g)}。",
    Aspect.VISITS: _visits_answer,
    Aspect.BASIS: _basis_answer,
}


def answer_text(guide: Dict[str, Any], aspect: str) -> str:
    """The answer to one aspect of a matter, in plain Chinese (the overview for any other)."""
    answer = _ANSWERS.get(aspect)
    return _with_footer(guide, f"{_header(guide)}\n{answer(guide)}") if answer else overview_text(guide)


def steps_text(guide: Dict[str, Any]) -> str:
    """The steps alone, after the guide's overview (header and footer are the overview's)."""
    return _ANSWERS[Aspect.STEPS](guide)


def steps_payload(guide: Dict[str, Any]) -> Dict[str, Any]:
    """matter_payload of the steps that follow an overview: the card is the overview's."""
    return {key: value for key, value in matter_payload(guide, Aspect.STEPS.value).items() if key != "card"}


def overview_text(guide: Dict[str, Any]) -> str:
    items = _materials(guide)
    names = "、".join(m["name"] for m in items[:5] if not m.get("exempt")) or "无需提交纸质材料"
    more = f"等{len(items)}项" if len(items) > 5 else ""
    lines = [
        _header(guide),
        guide["summary"],
        f"· {visits_badge(guide['visits'])}",
        f"· 材料：{names}{more}",
        f"· 时限：{_time_limit(guide)}",
        f"· 收费：{_fee_short(guide['fee'])}",
        f"· 地点：{guide['location']['window']}",
        f"· 网上办：{_online(guide)}",
        ASPECT_HINT,
    ]
    return _with_footer(guide, "\n".join(lines))


def bundle_text(guide: Dict[str, Any]) -> str:
    members = guide.get("member_guides") or []
    member_lines = [f"{i}. {m['name']}（{m.get('department_name') or m['department']}）" for i, m in enumerate(members, 1)]
    materials = guide.get("merged_materials") or []
    material_lines = []
    for m in materials:
        line = _material_line(m)
        if len(m.get("needed_by", [])) > 1:
            line += f"（{len(m['needed_by'])}个事项共用，只交一份）"
        material_lines.append(f"· {line}")
    return _with_footer(guide, "\n".join(
        [
            f"【{guide['name']}】一件事联办，牵头部门：{guide.get('department_name') or guide['department']}",
            guide["summary"],
            "一次提交，以下事项并联办理：",
            *member_lines,
            "合并后的材料清单（共用材料只交一份）：",
            *material_lines,
            f"从这里开始：{guide['start']}",
            f"到现场次数：{visits_badge(guide['visits'])}；时限：{_time_limit(guide)}；收费：{_fee(guide)}。",
        ]
    ))


def card(guide: Dict[str, Any]) -> Dict[str, Any]:
    """The data the web widget draws a matter card from."""
    return {
        "name": guide["name"],
        "kind": guide["kind"],
        "department": guide["department"],
        "department_name": guide.get("department_name") or guide["department"],
        "visits": guide["visits"],
        "badge": visits_badge(guide["visits"]),
        "materials": [
            {"name": m["name"], "form": m["form"], "exempt": bool(m.get("exempt"))} for m in _materials(guide)
        ],
        "time_limit": _time_limit(guide),
        "fee": _fee_short(guide["fee"]),
        "online": {"entry": guide["online"]["entry"], "url": guide["online"]["url"],
                   "full_online": bool(guide["online"].get("full_online"))},
        "phone": guide["phone"],
        "source": {"title": (guide.get("source") or {}).get("title"), "url": (guide.get("source") or {}).get("url"),
                   "verified_on": guide.get("verified_on")},
    }


def matter_payload(guide: Dict[str, Any], aspect: str) -> Dict[str, Any]:
    department = {"code": guide["department"], "name": guide.get("department_name") or guide["department"]}
    return {"matter": guide["code"], "aspect": aspect, "department": department, "card": card(guide)}


def _bundle_answer(guide: Dict[str, Any], aspect: str) -> str:
    """One aspect of a 一件事 bundle, without the footer."""
    members = guide.get("member_guides") or []
    header = f"【{guide['name']}】一件事联办"
    if aspect == Aspect.MATERIALS:
        lines = [f"{i}. {_material_line(m)}" for i, m in enumerate(guide.get("merged_materials") or [], 1)]
        return f"{header}\n合并后的材料（共用材料只交一份）：\n" + "\n".join(lines)
    if aspect == Aspect.VISITS:
        return (f"{header}\n一次提交，全部事项并联办理：{visits_badge(guide['visits'])}"
                f"（到现场{guide['visits']}次）。从这里开始：{guide['start']}")
    if aspect == Aspect.TIME_LIMIT:
        lines = [f"· {m['name']}：{_time_limit(m)}" for m in members]
        return f"{header}\n整体时限：{_time_limit(guide)}。各事项：\n" + "\n".join(lines)
    if aspect == Aspect.FEE:
        lines = [f"· {m['name']}：{_fee_short(m['fee'])}" for m in members]
        return f"{header}\n收费：{_fee(guide)}。各事项：\n" + "\n".join(lines)
    if aspect in (Aspect.LOCATION, Aspect.ONLINE, Aspect.STEPS):
        lines = [f"{i}. {m['name']}（{m.get('department_name') or m['department']}）" for i, m in enumerate(members, 1)]
        return f"{header}\n从这里开始：{guide['start']}\n一次提交后并联办理：\n" + "\n".join(lines)
    if aspect == Aspect.CONDITIONS:
        lines = [f"· {m['name']}：{'；'.join(m.get('conditions') or []) or '无特别条件'}" for m in members]
        return f"{header}\n各事项的申请条件：\n" + "\n".join(lines)
    if aspect == Aspect.BASIS:
        return f"{header}\n{_basis_answer(guide)}"
    return ""


def bundle_answer(guide: Dict[str, Any], aspect: str) -> str:
    """One aspect of a 一件事 bundle, for the bundle as a whole (a follow-up after its overview)."""
    text = _bundle_answer(guide, aspect)
    return _with_footer(guide, text) if text else bundle_text(guide)


def ticket_intro(guide: Dict[str, Any]) -> str:
    """What a guidance or complaint matter promises, before the form asks its questions."""
    ticket = guide.get("ticket") or {}
    dept = guide.get("department_name") or guide["department"]
    if guide["kind"] == MatterKind.GUIDANCE:
        opening = f"这个问题可以请{dept}的专家远程帮您看看（{guide['name']}，免费）。"
    else:
        opening = f"这个问题由{dept}受理（{guide['name']}）。"
    promise = ticket.get("response", "")
    return f"{opening}{ticket.get('answered_by', '')}会{promise}。我先帮您记几项信息。"


def guide_text(guide: Dict[str, Any], aspect: str) -> str:
    """The answer about a matter: a 一件事 as one, a ticket matter's promise, a service's guide or
    the one aspect asked."""
    if guide["kind"] == MatterKind.BUNDLE:
        return bundle_text(guide) if aspect == Aspect.OVERVIEW else bundle_answer(guide, aspect)
    if guide["kind"] in TICKET_MATTER_KINDS and aspect == Aspect.OVERVIEW:
        return ticket_intro(guide)
    return answer_text(guide, aspect)


def guide_messages(guide: Dict[str, Any], aspect: str, then: Optional[str] = None) -> List[Tuple[str, Dict[str, Any]]]:
    """The answer about a matter as (text, payload) messages: the aspect answered, then the one asked
    of it after its whole guide (reading.answer_aspects): a service's steps, or any other aspect (a
    一件事's overview already says where it starts and how it goes on)."""
    messages = [(guide_text(guide, aspect), matter_payload(guide, aspect))]
    if then == Aspect.STEPS:
        if guide["kind"] == MatterKind.SERVICE and guide.get("steps"):
            messages.append((steps_text(guide), steps_payload(guide)))
    elif then and then != aspect:
        messages.append((guide_text(guide, then), matter_payload(guide, then)))
    return messages


def describe_ticket(ticket: Dict[str, Any]) -> str:
    status = TicketStatus.labels().get(ticket.get("status"), ticket.get("status", ""))
    line = f"工单 {ticket['number']}（{ticket.get('department_name') or ticket['department']}）：{status}"
    if ticket.get("matter_name"):
        line += f"，事项：{ticket['matter_name']}"
    if ticket.get("resolution"):
        line += f"，办理结果：{ticket['resolution']}"
    elif ticket.get("promised_response"):
        line += f"，承诺：{ticket['promised_response']}"
    return line
