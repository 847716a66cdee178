"""General colloquial Chinese the catalogue cannot be expected to spell out.

These are language facts, not catalogue content: 掉了 and 丢了 mean the same thing for every
matter. Each group maps its words to the group's first word, on both the catalogue side and
the query side, so "社保卡掉了" meets an alias written as "社保卡丢了".
"""

from __future__ import annotations

from typing import Dict, FrozenSet, List, Tuple

from bot.vocabulary import MatterKind


SYNONYM_GROUPS: List[List[str]] = [
    ["丢失", "丢了", "丢", "掉了", "弄丢", "遗失", "搞丢", "不见了", "找不到", "丢掉", "被偷", "被偷了", "失窃", "被人偷", "被人偷了", "被人偷走", "偷走了", "被偷走", "被扒", "被扒了", "被扒走",
     # in dialect: 寻勿着 (Wu), 落脱 ("dropped"), 搞没了
     "找不着", "寻不着", "寻勿着", "寻不到", "找勿着", "落掉了", "落脱了", "搞没了", "弄没了",
     # Cantonese: 唔见咗 ("gone")
     "唔见咗", "唔见左"],
    ["补办", "补领", "补一个", "重新办", "再办", "补证", "补"],
    ["换", "换领", "更换", "换个", "换一个", "换新"],
    ["过期", "到期", "期满", "快过期", "快到期", "过期了", "到期了", "失效"],
    ["孩子", "小孩", "宝宝", "娃", "小孩子", "儿子", "女儿", "子女", "小朋友", "婴儿", "新生儿", "孩儿"],
    ["老人", "父母", "爸妈", "老爸", "老妈", "父亲", "母亲", "爸爸", "妈妈", "爷爷", "奶奶", "外婆", "外公", "老人家"],
    ["去世", "过世", "死亡", "病故", "离世", "走了", "没了", "身故", "亡故"],
    ["房子", "住房", "房屋", "房产", "房"],
    ["买房", "购房", "买房子", "购买住房", "买了房"],
    ["租房", "租房子", "房租", "租金", "租住"],
    ["结婚", "领证", "登记结婚", "结婚登记"],
    ["离婚", "离婚登记"],
    ["怎么办", "咋办", "咋弄", "怎么弄", "怎么搞", "如何办", "怎么处理", "咋整", "怎么整", "怎么操作"],
    ["办理", "办", "弄", "搞", "申请", "申领", "办个", "办一个", "办张", "办一张"],
    ["取", "提取", "拿出来", "取出来", "提出来", "取出", "提"],
    ["迁", "迁入", "迁移", "迁出", "转入", "转出", "转移", "转", "转过来", "转过去", "转回", "转回来", "迁过来", "落过来"],
    ["注销", "销户", "取消", "撤销", "关掉", "关门", "关了"],
    ["出生", "生了", "刚出生", "刚生", "生孩子", "生小孩", "生宝宝", "新生"],
    ["死了", "死掉", "死", "死了好多", "病死"],
    ["生病", "得病", "发病", "有病", "病了", "不舒服"],
    ["投诉", "举报", "告", "反映", "反映问题", "曝光"],
    ["欠", "拖欠", "不给", "不发", "克扣", "欠薪", "欠钱"],
    ["工资", "薪水", "工钱", "薪资", "工资款"],
    ["驾照", "驾驶证", "驾驶执照", "车本", "驾驶本"],
    ["户口本", "户口簿", "户口薄"],
    ["身份证", "身份证件", "二代证"],
    ["看病", "就医", "看医生", "就诊", "住院"],
    ["外地", "异地", "外省", "省外", "别的城市", "其他城市"],
    ["报销", "报账", "能报", "报多少"],
    ["上学", "入学", "读书", "念书", "上小学", "上幼儿园"],
    ["学校", "学堂"],
    ["公司", "企业", "单位"],
    ["开店", "开个店", "开饭店", "开小店", "开公司", "做生意", "开网店"],
    ["退休", "退休了", "到退休年纪", "退休年龄"],
    ["养老金", "退休金", "养老钱"],
    ["电动车", "电瓶车", "电驴", "小电驴", "电动自行车"],
    ["汽车", "车子", "车", "小车", "轿车", "小轿车", "小汽车", "私家车", "面包车"],
    ["手机号", "电话号码", "手机号码"],
    ["地址", "住址"],
    ["改", "变更", "修改", "更改", "改一下", "变动"],
    ["查", "查询", "查一下", "看看", "查下"],
    ["证明", "开证明", "证明材料"],
    ["多少钱", "费用", "收费", "收多少钱", "要钱吗", "交多少"],
    ["交", "缴", "缴纳", "交钱"],
    ["贷款", "借款", "按揭", "贷"],
    # What people say for a change of owner: 旧车/旧房子 "改名字" is a 过户.
    ["过户", "改名字", "换名字", "改名", "更名", "名字改成", "改成我的名字", "转到名下", "改到名下", "改到我名下",
     "转到我名下"],
    ["年检", "验车", "车检", "检车", "年审", "审车"],
    ["失业", "没活干", "没工作", "丢了工作", "丢工作", "下岗", "被裁", "被裁员", "裁员", "没了工作", "失去工作"],
]

# Words that carry no matter: requests, fillers and particles. They still count in BM25 (with
# their tiny IDF) but never make a query "specific" on their own.
GENERIC_WORDS: FrozenSet[str] = frozenset(
    """我 我们 你 你们 他 她 它 的 了 吗 呢 吧 啊 呀 哦 嗯 么 是 在 有 和 与 及 或 也 都 就 还 又 要 想 想要 需要
    能 能不能 可以 可不可以 会 该 应该 得 请问 请 问 问一下 一下 咨询 你好 您好 谢谢 好的 一个 个 这个 那个 哪个 什么
    怎么 怎样 如何 为什么 哪里 哪儿 哪些 多少 几 多久 时候 现在 今天 明天 昨天 最近 这几天 已经 刚刚 刚 马上
    我要 我想 哪办 去哪办 在哪办 有个 办事 人工 客服 人工客服 找 找谁 等 下个月 上个月 今年 明年 去年 快 要求 流程 手续 材料 资料 东西 事 事情 事儿 问题 情况 办理 怎么办 部门 窗口
    地方 去 到 来 给 把 被 让 用 拿 对 从 跟 吗 不 没 没有 还是 然后 所以 因为 如果 但是 可是 一 二 三 家 家里
    我家 自己 本人 人 证 证件 相关 需不需要 具体 一般 比较 很 太 好 好多 非常 能否 是否 请教 帮 帮我 帮忙 查 有没有 有无 能办 能办吗 可以办 好办 哪里办 在哪 在哪里 去哪 去哪里 伐 啥 咋 嘛 呗 哈 噢 喔 哎 唉 咋个 咋样
    咩 乜 嘢 咁 嗰 喎 啦 㗎 些""".split()  # (the last: Cantonese question words and particles)
)

# Action words: what to do, not what to do it to. A message made only of these (我要备案, 我想
#报名, 这个要审批吗) names no matter: it is too vague to answer and the bot should ask.
ACTION_WORDS: FrozenSet[str] = frozenset(
    """申请 申领 办理 补办 换 换领 变更 注销 备案 登记 审批 审核 许可 核准 认定 查询 查 挂失 报名 迁 转 转移 接续
    取 提取 报销 补贴 补助 缴纳 交 开 开户 领取 领 预约 打印 开具 证明 证书 登记证 许可证 执照 手续 条件 信息 业务
    资格 待遇 标准 政策 准备 排队 过期 丢失 改 年检 续期 延期 撤销 恢复 复核 考试 投诉 举报 咨询 评价 表扬 材料
    费用 多少钱 时间 多久 进度 结果 网上 线上 窗口 现场 一次 一起 一件事 全部 所有 这个 那个 那边 老家 本地 外地
    以前 之前 之后 以后 地方 证 卡 本 表
    带 跑 几次 次 趟 到场 本人 办好 弄 搞 换证 同意 办证 代办 代理 委托 申报""".split()
)

# Verbs of two characters or more whose last character starts a domain word ("领结婚证",
# "领社保卡" are aliases): the segmenter must not take that character from them — "补领结婚证" is
# 补领 + 结婚证, not 补 + 领结婚证 (the first-time matter's alias).
VERB_COMPOUNDS: FrozenSet[str] = frozenset(
    w for g in SYNONYM_GROUPS if g[0] in ("补办", "换") for w in g if len(w) >= 2
) | frozenset("申领 申请 办理 领取 提取 开具 迁入 补发 挂失 换证".split())

# The words of asking for the papers or the procedure, which citizens type by ear ("要啥才料",
# "手许"): repaired like the catalogue's own terms, then stop words like any other asking word.
ASKING_NOUNS: Tuple[str, ...] = ("材料", "资料", "手续", "流程")

# English that citizens mix in ("ID card丢了", "driver license快过期了"), folded into the Chinese
# word the catalogue uses. Lower-case, matched as whole words, longest first.
ENGLISH_TERMS: Dict[str, str] = {
    "id card": "身份证", "identity card": "身份证", "passport": "护照", "visa": "签证",
    "driver license": "驾驶证", "drivers license": "驾驶证", "driver s license": "驾驶证",
    "driving license": "驾驶证", "driving licence": "驾驶证", "license plate": "车牌",
    "police clearance": "无犯罪记录证明", "criminal record": "无犯罪记录证明",
    "business license": "营业执照", "company": "公司", "shop": "店", "invoice": "发票", "tax refund": "退税",
    "tax": "税", "social security card": "社保卡", "social security": "社保", "social insurance": "社保",
    "medical insurance": "医保", "health insurance": "医保", "housing fund": "公积金", "provident fund": "公积金",
    "pension": "养老金", "retirement": "退休", "retire": "退休", "unemployment": "失业", "salary": "工资",
    "wage": "工资", "wages": "工资", "birth certificate": "出生证明", "baby": "宝宝", "marriage": "结婚",
    "married": "结婚", "divorce": "离婚", "house": "房子", "apartment": "房子", "mortgage": "抵押",
    "loan": "贷款", "rent": "租房", "school": "学校", "vaccine": "疫苗", "vaccination": "疫苗接种",
    "hukou": "户口", "complaint": "投诉", "car": "车", "card": "卡", "lost": "丢了", "expired": "过期",
    "renew": "换", "online": "网上", "lawyer": "律师", "notary": "公证", "taxi": "出租车", "didi": "网约车",
}

# Kind hints: words that say what sort of help the citizen needs.
KIND_HINTS: Dict[str, List[str]] = {
    MatterKind.GUIDANCE: ["死了", "生病", "发黄", "发病", "病害", "虫害", "烂根", "枯死", "不长", "减产", "浮头", "死亡",
                 "怎么治", "治疗", "防治", "打什么药", "用什么药", "指导", "技术", "专家"],
    MatterKind.COMPLAINT: ["投诉", "欠", "工资", "乱收费", "不给", "不退", "污染", "噪音", "扰民", "维权", "骗", "被骗",
                  "态度差", "不作为", "推诿", "违规", "偷排", "异味", "黑车", "拒载", "绕路"],
    MatterKind.BUNDLE: ["哪些手续", "都要办什么", "要办哪些", "办什么手续", "一件事", "全部手续", "一起办", "要办什么",
               "哪些事", "都要办", "办哪些", "有什么手续", "后续手续"],
}


def synonym_map() -> Dict[str, str]:
    """word → canonical word of its group (the first word wins when a word is in two groups)."""
    mapping: Dict[str, str] = {}
    for group in SYNONYM_GROUPS:
        head = group[0]
        for word in group:
            mapping.setdefault(word, head)
    return mapping


def lexicon_words() -> List[str]:
    """Every multi-character lexicon word, so the segmenter keeps them whole."""
    words = {w for g in SYNONYM_GROUPS for w in g}
    words |= {w for ws in KIND_HINTS.values() for w in ws}
    return sorted(w for w in words if len(w) >= 2)
