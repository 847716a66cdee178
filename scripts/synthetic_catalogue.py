"""Writes a synthetic catalogue of N matters in the data/catalogue format, for load tests.

    python scripts/synthetic_catalogue.py --matters 20000 --out /tmp/catalogue-20k

Names and aliases are combinations of real 政务 nouns, actions and qualifiers, so term
statistics (shared words like 证明, 登记, 变更 across thousands of matters) look like a
province-wide catalogue rather than random characters. The real departments.yml is copied.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from pathlib import Path

import yaml

OBJECTS = """身份证 户口 居住证 护照 港澳通行证 驾驶证 行驶证 车辆 电动车 营业执照 食品经营许可 药品经营许可 医疗器械
特种设备 社保卡 养老保险 失业保险 工伤保险 医保 公积金 不动产 房产 宅基地 土地 林权 渔船 农机 种子 农药 兽药 饲料
生猪 家禽 水产苗种 渔业捕捞 取水 排污 环评 危险废物 辐射 建筑施工 施工图 竣工验收 商品房预售 物业 公租房 廉租房
人才公寓 网约车 出租车 道路运输 货运 客运 驾校 教师资格 学籍 入学 转学 学生资助 出生医学证明 预防接种 医师执业
护士执业 诊所 母婴保健 婚姻 收养 殡葬 低保 特困 残疾人证 慈善组织 社会团体 民办非企业 法律援助 公证 人民调解 律师执业
司法鉴定 退役军人 优待证 抚恤 烈士 旅行社 导游 文物 广播电视 出版物 网吧 娱乐场所 体育赛事 消防 安全生产 烟花爆竹
危险化学品 矿山 气象 防雷 地震 测绘 地图 档案 发票 个人所得税 契税 房产税 增值税 出口退税 海关 外汇 商标 专利 计量
标准 认证 检验检测 广告 价格 电梯 锅炉 压力容器 燃气 供水 供电 通信 邮政 快递 烟草 盐业 粮食 储备 水利 河道 水库
堤防 船舶 港口 航道 机场 铁路 公路 桥梁 隧道 停车 充电桩 路灯 绿化 古树 城管 占道 户外广告 渣土 建筑垃圾 生活垃圾
餐厨垃圾 环卫 公厕 墓地 宗教 民族 侨务 台胞 外国人 工作许可 签证 居留 人才引进 职称 技能等级 职业培训 创业补贴
就业登记 劳动合同 劳务派遣 工资 劳动仲裁 劳动监察 残疾人就业 妇女儿童 老年人 养老机构 托育机构 幼儿园 中小学
高校 科研 高新技术企业 科技成果 知识产权 数据 信用 统计 审计 招投标 政府采购 国有资产 彩票 慈善 志愿服务""".split()
ACTIONS = """申请 办理 变更 注销 补办 换领 延续 备案 登记 审批 许可 核准 认定 查询 证明 年检 迁移 撤销 恢复 转移 抵押
更正 预约 缴纳 提取 报销 补贴 奖励 投诉 举报 咨询 鉴定 评估 复核 验收 检测 培训 考试 发放 领取""".split()
QUALIFIERS = """首次 个人 企业 单位 农村 城镇 省内 跨省 异地 临时 长期 电子 线上 紧急 特殊 一般 简易 批量 委托 代办""".split()
COLLOQUIAL = ["想{a}{o}", "{o}怎么{a}", "{o}要{a}", "我要{a}{o}", "{o}{a}去哪办", "{q}{o}能{a}吗",
              "帮我{a}一下{o}", "{o}的{a}", "{o}{a}流程", "{o}{a}要什么材料"]


def make_matter(i: int, dept: str, rng: random.Random, seen: set) -> dict:
    while True:
        o, a, q = rng.choice(OBJECTS), rng.choice(ACTIONS), rng.choice(QUALIFIERS)
        name = f"{q}{o}{a}"
        if name not in seen:
            seen.add(name)
            break
    aliases = sorted({t.format(o=o, a=a, q=q) for t in rng.sample(COLLOQUIAL, 6)})
    text = {"legal": "20个工作日", "legal_unverified": True, "promised": "5个工作日", "promised_days": 5,
            "promised_unverified": True}
    return {
        "code": f"{dept}.m{i:05d}", "kind": rng.choice(["service"] * 8 + ["guidance", "complaint"]),
        "name": name, "summary": f"{q}办理{o}{a}事项，依申请受理，符合条件的予以{a}。",
        "aliases": aliases, "keywords": [o, a, q],
        "conditions": [f"符合{o}{a}条件的申请人"],
        "materials": [{"name": "申请表", "form": "表格", "copies": 1, "exempt": False},
                      {"name": "居民身份证", "form": "原件", "copies": 1, "exempt": True}],
        "steps": ["网上或窗口提交申请", "审核", "出具结果"], "time_limit": text,
        "fee": {"free": True, "basis": "不收费", "unverified": True},
        "location": {"window": "政务服务中心综合窗口", "address": "各地政务服务中心", "hours": "工作日"},
        "online": {"entry": "浙里办", "url": "https://www.zjzwfw.gov.cn/", "full_online": True, "generic": True},
        "visits": 0, "legal_basis": [{"title": "《浙江省保障“最多跑一次”改革规定》", "unverified": True}],
        "phone": "12345",
        "source": {"title": "合成测试数据", "url": "https://www.zjzwfw.gov.cn/", "generic": True},
        "verified_on": "2026-12-01",
    }


def with_ticket(matter: dict) -> dict:
    if matter["kind"] != "service":
        matter["ticket"] = {"tell": ["具体情况"], "answered_by": "业务科室", "response": "2个工作日内回复",
                            "response_hours": 16}
    return matter


def write(n: int, out: Path, departments: Path, seed: int = 7) -> Path:
    rng = random.Random(seed)
    depts = [d["code"] for d in yaml.safe_load(departments.read_text(encoding="utf-8"))["departments"]]
    if out.exists():
        shutil.rmtree(out)
    (out / "matters").mkdir(parents=True)
    shutil.copy(departments, out / "departments.yml")
    seen: set = set()
    per: dict = {d: [] for d in depts}
    for i in range(n):
        dept = depts[i % len(depts)]
        per[dept].append(with_ticket(make_matter(i, dept, rng, seen)))
    for dept, matters in per.items():
        if matters:
            (out / "matters" / f"{dept}.yml").write_text(
                yaml.safe_dump({"department": dept, "matters": matters}, allow_unicode=True, sort_keys=False),
                encoding="utf-8")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--matters", type=int, default=3600)
    ap.add_argument("--out", required=True)
    ap.add_argument("--departments", default=str(Path(__file__).resolve().parents[1] / "data/catalogue/departments.yml"))
    args = ap.parse_args()
    max_names = len(OBJECTS) * len(ACTIONS) * len(QUALIFIERS)
    if args.matters > max_names:
        print(f"at most {max_names} distinct matters", file=sys.stderr)
        return 2
    print(write(args.matters, Path(args.out), Path(args.departments)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
