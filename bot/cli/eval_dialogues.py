"""``onetrip eval-dialogues``: replay blind multi-turn scenarios through the REST webhook of running
servers and print turn and conversation accuracy per kind (issue #15).

The servers must be up (`onetrip up`); tickets are read from the hall's database (DATABASE_URL),
because the hall's API masks phone numbers. Scoring: bot/dialogues/replay.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from bot.settings import ROOT

DIALOGUES_DIR = "tests/data/dialogues"


def default_files() -> List[Path]:
    """Every shipped scenario file, the fitting part first, then the held-out part: a new writer's
    file is replayed without being listed anywhere."""
    files = sorted((ROOT / DIALOGUES_DIR).glob("*.yml"))
    return [f for f in files if f.name.startswith("fit_")] + [f for f in files if not f.name.startswith("fit_")]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "eval-dialogues",
        help="通过运行中服务的 REST 接口回放多轮对话场景，按类别输出轮次与整段对话准确率",
        description="回放 tests/data/dialogues/ 中的多轮场景（每个场景一个新会话），检查每轮回复的 custom "
                    "字段与服务大厅数据库中的工单，按类别输出轮次准确率与整段对话准确率。需先用 onetrip up 启动服务。",
    )
    p.add_argument("files", nargs="*", metavar="FILE",
                   help=f"场景文件（默认 {DIALOGUES_DIR}/ 下全部场景文件：先拟合部分，后留出部分）")
    p.add_argument("--rasa-url", default=None, help="Rasa 服务器地址（默认取配置：RASA_URL 或 ONETRIP_HOST:RASA_PORT）")
    p.add_argument("--database-url", default=None, help="服务大厅数据库（默认取配置 DATABASE_URL），直接读取工单")
    p.add_argument("--kind", action="append", default=None, metavar="KIND",
                   help="只回放这一类场景（可重复写多次）")
    p.add_argument("--concurrency", type=int, default=4, help="同时进行的会话数（默认 4；同一会话的各轮按顺序发送）")
    p.add_argument("--timeout", type=float, default=60.0, help="每条消息等待回复的秒数（默认 60）")
    p.add_argument("--json", dest="json_path", default=None, metavar="PATH",
                   help="把每个场景、每一轮的完整结果（期望、回复、对错及原因）写成 JSON")
    p.add_argument("--show-failures", type=int, default=0, metavar="N", help="列出前 N 个出错的轮次及机器人的回复")
    p.add_argument("--min-turns", type=float, default=None, metavar="X",
                   help="任一文件的总轮次准确率低于 X 时以状态 1 退出")
    p.add_argument("--min-conversations", type=float, default=None, metavar="Y",
                   help="任一文件的总对话准确率低于 Y 时以状态 1 退出")
    p.set_defaults(func=run)


# ---------------------------------------------------------------- output


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(text: str, width: int, right: bool = True) -> str:
    pad = " " * max(0, width - _width(text))
    return pad + text if right else text + pad


COLUMNS = ("scenarios", "conv right", "conv acc", "turns checked", "turns right", "turn acc")


def format_table(kinds: Dict[str, Any], total: Any) -> str:
    """One row per kind and a total row: scenarios, conversations right, checked turns, turns right."""
    name_width = max([_width(k) for k in kinds] + [len("kind"), len("TOTAL")]) + 2
    widths = [max(len(c), 7) for c in COLUMNS]

    def row(name: str, t: Any) -> str:
        cells = [str(t.scenarios), str(t.conversations_right), f"{t.conversation_accuracy:.3f}",
                 str(t.checked), str(t.right), f"{t.turn_accuracy:.3f}"]
        return _cell(name, name_width, right=False) + "  ".join(_cell(c, w) for c, w in zip(cells, widths))

    head = _cell("kind", name_width, right=False) + "  ".join(_cell(c, w) for c, w in zip(COLUMNS, widths))
    lines = [head, "-" * _width(head)] + [row(k, t) for k, t in kinds.items()]
    lines += ["-" * _width(head), row("TOTAL", total)]
    return "\n".join(lines)


def _failures(results: Iterable[Any]) -> Iterable[Tuple[Any, Optional[Any]]]:
    """(scenario result, failing turn) in order; the turn is None for a failed end-ticket check."""
    for result in results:
        for turn in result.turns:
            if turn.right is False:
                yield result, turn
        if result.end_ticket and not result.end_ticket.right:
            yield result, None


def format_failure(result: Any, turn: Optional[Any]) -> str:
    if turn is None:
        lines = [f"✗ {result.id} [{result.kind}] 结束工单检查  (sender {result.sender})"]
        lines += [f"    {r}" for r in result.end_ticket.reasons]
        shown = [f"{t['number']} {t['kind']}/{t['department']}/{t['matter'] or '-'} {t['region'] or ''}"
                 for t in result.end_ticket.tickets]
        lines.append(f"    本会话的工单：{'；'.join(shown) if shown else '无'}")
        return "\n".join(lines)
    lines = [f"✗ {result.id} [{result.kind}] 第{turn.index}轮：{turn.say}  (sender {result.sender})",
             f"    期望：{json.dumps(turn.expect, ensure_ascii=False)}"]
    lines += [f"    {r}" for r in turn.reasons]
    texts = turn.texts or ["（没有文字回复）"]
    lines += [f"    机器人：{t}".replace("\n", " ⏎ ") for t in texts]
    return "\n".join(lines)


def _progress(name: str, total: int):
    done = {"n": 0}
    step = max(1, total // 10)

    def report(result: Any) -> None:
        done["n"] += 1
        if done["n"] % step == 0 or done["n"] == total:
            print(f"  {name}：{done['n']}/{total}", file=sys.stderr, flush=True)

    return report


# ---------------------------------------------------------------- the command


def run(args: argparse.Namespace) -> int:
    from bot.dialogues.replay import HallTickets, ReplayError, check_rasa, replay, tally
    from bot.dialogues.scenarios import ScenarioError, load_scenarios
    from bot.settings import get_settings

    settings = get_settings()
    rasa_url = args.rasa_url or settings.rasa_url
    database_url = args.database_url or settings.database_url
    files = [Path(f) for f in args.files] or default_files()

    sets = []
    for file in files:
        try:
            scenario_set = load_scenarios(file)
        except ScenarioError as exc:
            print(f"onetrip eval-dialogues: {exc}", file=sys.stderr)
            return 2
        if args.kind:
            scenario_set.scenarios = [s for s in scenario_set.scenarios if s.kind in args.kind]
        sets.append(scenario_set)
    if not any(s.scenarios for s in sets):
        print(f"onetrip eval-dialogues: 没有要回放的场景（--kind {' '.join(args.kind or [])}）", file=sys.stderr)
        return 2

    try:
        asyncio.run(check_rasa(rasa_url))
        hall = HallTickets(database_url)
        hall.check()
    except ReplayError as exc:
        print(f"onetrip eval-dialogues: {exc}", file=sys.stderr)
        return 2

    print(f"onetrip eval-dialogues：Rasa {rasa_url}，并发 {args.concurrency}，每个场景一个新会话")
    reports: List[Dict[str, Any]] = []
    failing: List[Tuple[Any, Optional[Any]]] = []
    below: List[str] = []
    try:
        for scenario_set in sets:
            if not scenario_set.scenarios:
                continue
            progress = _progress(scenario_set.path.name, len(scenario_set.scenarios))
            results = asyncio.run(replay(scenario_set.scenarios, rasa_url, hall, concurrency=args.concurrency,
                                         timeout=args.timeout, progress=progress))
            kinds, total = tally(results)
            print()
            print(f"== {scenario_set.path}：{scenario_set.part_label}")
            if scenario_set.header:
                print("\n".join(f"   # {line}" for line in scenario_set.header.splitlines()))
            print(format_table(kinds, total))
            print(f"turns checked 含每个场景结束时的工单检查（本文件 {total.end_tickets} 项，"
                  f"各算一轮）；turn acc = turns right / turns checked，conv acc = conv right / scenarios")
            print(f"合计（{scenario_set.part}）：轮次 {total.right}/{total.checked} = {total.turn_accuracy:.3f}，"
                  f"对话 {total.conversations_right}/{total.scenarios} = {total.conversation_accuracy:.3f}")
            failing += list(_failures(results))
            if args.min_turns is not None and total.turn_accuracy < args.min_turns:
                below.append(f"{scenario_set.path.name} 轮次准确率 {total.turn_accuracy:.3f} < {args.min_turns}")
            if args.min_conversations is not None and total.conversation_accuracy < args.min_conversations:
                below.append(f"{scenario_set.path.name} 对话准确率 {total.conversation_accuracy:.3f} "
                              f"< {args.min_conversations}")
            reports.append({
                "file": str(scenario_set.path), "part": scenario_set.part, "part_label": scenario_set.part_label,
                "header": scenario_set.header, "rasa_url": rasa_url,
                "kinds": {k: t.to_json() for k, t in kinds.items()}, "total": total.to_json(),
                "scenarios": [r.to_json() for r in results],
            })
    finally:
        hall.close()

    if len(reports) > 1:
        grand = {key: sum(r["total"][key] for r in reports)
                 for key in ("scenarios", "conversations_right", "checked", "right", "end_tickets")}
        print()
        print(f"所有文件合计（拟合与留出部分混在一起，仅供参考）：轮次 {grand['right']}/{grand['checked']} = "
              f"{grand['right'] / max(1, grand['checked']):.3f}，对话 {grand['conversations_right']}/"
              f"{grand['scenarios']} = {grand['conversations_right'] / max(1, grand['scenarios']):.3f}")

    if args.show_failures > 0 and failing:
        print()
        print(f"前 {min(args.show_failures, len(failing))} 个出错的轮次（共 {len(failing)} 个）：")
        for result, turn in failing[: args.show_failures]:
            print(format_failure(result, turn))

    if args.json_path:
        path = Path(args.json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"files": reports}, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\n完整结果 → {path}")

    if below:
        print("低于门槛：" + "；".join(below), file=sys.stderr)
        return 1
    return 0
