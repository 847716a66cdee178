"""OneTrip's shared vocabulary: the codes every part uses, each with the Chinese label people read.

Ticket kinds, statuses, channels, staff roles, the 好差评 levels, the aspects of a 办事指南 and the
fallback department are spelled here once; actions, hall, channels, widget format and CLI import
them. The enums are `str` enums, so a value compares equal to the string stored in a database,
sent in JSON or written in YAML.
"""

from __future__ import annotations

from enum import Enum
from typing import Dict, Tuple


class Labelled(str, Enum):
    """A code with the Chinese label a citizen or staff member reads."""

    label: str

    def __new__(cls, value: str, label: str) -> "Labelled":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    def __str__(self) -> str:  # f"{kind}" gives the code, as a plain string would
        return str(self.value)

    @classmethod
    def values(cls) -> Tuple[str, ...]:
        return tuple(member.value for member in cls)

    @classmethod
    def labels(cls) -> Dict[str, str]:
        return {member.value: member.label for member in cls}


class TicketKind(Labelled):
    GUIDANCE = ("guidance", "咨询指导")
    COMPLAINT = ("complaint", "投诉")
    CONSULT = ("consult", "部门咨询")
    FALLBACK = ("fallback", "未能解答")
    HANDOFF = ("handoff", "转人工")
    FEEDBACK = ("feedback", "评价反馈")


# Matter kinds whose conversation ends in a ticket form rather than an answer.
TICKET_MATTER_KINDS = (TicketKind.GUIDANCE.value, TicketKind.COMPLAINT.value)


class TicketStatus(Labelled):
    OPEN = ("open", "待处理")
    IN_PROGRESS = ("in_progress", "处理中")
    RESOLVED = ("resolved", "已办结")


class Channel(Labelled):
    """Rasa's input channel names (what `tracker.get_latest_input_channel()` returns)."""

    REST = ("rest", "接口")
    SOCKETIO = ("socketio", "网页")
    WECHAT = ("wechat", "微信")

    @classmethod
    def label_of(cls, name: str) -> str:
        return cls.labels().get(name or "", name or "")


class Role(Labelled):
    STAFF = ("staff", "窗口工作人员")
    SUPERVISOR = ("supervisor", "主管")
    ADMIN = ("admin", "管理员")


# Roles that see every department's tickets.
ALL_DEPARTMENT_ROLES = (Role.SUPERVISOR.value, Role.ADMIN.value)


class Aspect(Labelled):
    """The parts of a 办事指南 a citizen can ask about."""

    OVERVIEW = ("overview", "总览")
    CONDITIONS = ("conditions", "申请条件")
    MATERIALS = ("materials", "申请材料")
    STEPS = ("steps", "办理流程")
    TIME_LIMIT = ("time_limit", "办结时限")
    FEE = ("fee", "收费")
    LOCATION = ("location", "办理地点")
    ONLINE = ("online", "网上办理")
    VISITS = ("visits", "到现场次数")
    BASIS = ("basis", "依据")


# The aspects a follow-up can name (everything but the overview).
ASKABLE_ASPECTS = tuple(a.value for a in Aspect if a is not Aspect.OVERVIEW)


class MatterKind(Labelled):
    SERVICE = ("service", "办事事项")
    GUIDANCE = ("guidance", "远程指导")
    COMPLAINT = ("complaint", "投诉举报")
    BUNDLE = ("bundle", "一件事")


class RequestType(Labelled):
    """What a citizen's message asks for (the 12345 hotline's 诉求类型)."""

    CONSULT = ("咨询", "咨询")
    COMPLAINT = ("投诉", "投诉")
    SUGGESTION = ("建议", "建议")
    HELP = ("求助", "求助")


# 好差评: Zhejiang's five levels; 不满意 and 非常不满意 count as 差评.
RATING_LEVELS: Dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD_RATING_MAX = 2

# 政务服务办: the 兜底 window, the 好差评 channel, and the department for what no other takes.
FALLBACK_DEPARTMENT = "zwfw"
# Its two matters (codes of shared/spec/matters.tsv): "跑一次没办成" 兜底, and 好差评 feedback.
FALLBACK_MATTER = "zwfw.fallback"
FEEDBACK_MATTER = "zwfw.feedback"


class QuestionKind(Labelled):
    """Questions the bot failed on, kept for review (the `unmatched` table's `kind`)."""

    UNMATCHED = ("unmatched", "未能匹配")
    WRONG = ("wrong", "匹配错误")  # a 差评 or a "不是这个" right after a matched answer


class ReviewOutcome(Labelled):
    """What a supervisor did with a reviewed question."""

    ALIAS = ("alias", "已加为事项说法")
    PHRASING = ("phrasing", "已加为部门说法")
    DISMISSED = ("dismissed", "已忽略")


class FollowUp(Labelled):
    """A 差评's call back (好差评 reporting)."""

    ON_TIME = ("on_time", "已按时回访")
    LATE = ("late", "超时回访")
    PENDING = ("pending", "待回访")
    MISSED = ("missed", "未回访（已超时）")
    NO_TICKET = ("no_ticket", "无回访工单")
    NOT_NEEDED = ("not_needed", "无需回访")
