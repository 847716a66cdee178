"""A topic named without saying which of its matters (data/lexicon/umbrellas.yml) is asked about."""

import pytest

from actions.umbrellas import umbrella_options


@pytest.mark.parametrize("text, likeliest, options", [
    ("想问下注销的事", ["scjg.business_deregister"],
     ["scjg.business_deregister", "gongan.hukou_cancel", "bdc.mortgage_cancel"]),
    ("社保能转回老家吗", ["renshe.pension_transfer"], ["renshe.pension_transfer", "yibao.transfer"]),
    ("公积金怎么提出来", ["gjj.withdraw_close", "gjj.withdraw_rent"],
     ["gjj.withdraw_rent", "gjj.withdraw_purchase", "gjj.withdraw_close"]),
    ("残疾人有啥补贴", ["minzheng.disability_subsidy"], ["minzheng.disability_subsidy", "canlian.assistive_devices"]),
])
def test_a_topic_alone_offers_its_matters(text, likeliest, options):
    assert umbrella_options(text, likeliest) == options


@pytest.mark.parametrize("text, likeliest", [
    ("公司注销要带啥", ["scjg.business_deregister"]),  # says which
    ("社保里养老那块怎么转", ["renshe.pension_transfer"]),
    ("社保卡丢了怎么办", ["renshe.social_card_lost"]),  # 社保卡 is not 社保
    ("结婚登记要带身份证吗", ["minzheng.marriage"]),  # the topic is only a thing to bring
    ("我是外地户口，能办居住证吗", ["gongan.residence_permit"]),
    ("刚出生的孩子落户口要带啥", ["gongan.hukou_birth"]),  # names two of them: the matcher reads it
    ("孩子上学要办的所有手续", ["yjs.school_enrollment", "jiaoyu.primary_enrollment"]),  # all at once
    ("屋里是危房 改造有补助吗", ["minzheng.temporary_assistance"]),  # a house's repair: 住建's 危房改造
])
def test_a_question_that_says_which_or_is_about_something_else_is_not_asked_about(text, likeliest):
    assert umbrella_options(text, likeliest) is None


def test_what_the_citizen_said_just_before_tells_which():
    assert umbrella_options("户口怎么弄", ["gongan.hukou_birth"], before=["我家宝宝上个月刚出生"]) is None
    assert umbrella_options("户口怎么弄", ["gongan.hukou_birth"], before=["你好"])


def test_the_one_matter_of_a_topic_the_words_tell_apart():
    from actions.umbrellas import told_option

    assert told_option("女儿十六岁了还没办过身份证，去派出所要带啥") == "gongan.id_card_first"
    assert told_option("我的身份证不见了，还要重新照相吗") == "gongan.id_card_lost"
    assert told_option("身份证要带吗") is None  # names the topic, tells nothing
    assert told_option("驾照补办要多久") is None  # no topic of ours
    assert told_option("孩子出生了，出生证、户口、医保这些要一个个跑吗") is None  # several at once



def test_what_was_paid_in_before_asked_to_be_moved_is_asked_which():
    # Writer AJ: "老家以前交的那些想转过来" names no one of the three transfers; its "那些" is the
    # topic's own word, no list of several things.
    options = ["renshe.pension_transfer", "yibao.transfer", "gjj.transfer"]
    assert umbrella_options("我之前在江西交过的那些想转到杭州来", ["renshe.pension_transfer"]) == options
    assert umbrella_options("以前交的养老保险想转过来", ["renshe.pension_transfer"]) is None  # says which
    assert umbrella_options("社保、医保、公积金都想转过来", ["renshe.pension_transfer"]) is None  # a list


def test_what_was_paid_in_named_in_a_longer_message_the_matcher_cannot_place():
    # Writers AR and AS: "渠在上海交的保险要转回来 咋弄", "这边交的东西要转回去 怎么转", after where
    # the citizen worked: a little longer than a topic alone, and the matcher places it nowhere.
    text = "我在苏州的电子厂里做了整整六年现在回绍兴老家了 那边交的东西要转回来 咋转"
    options = ["renshe.pension_transfer", "yibao.transfer", "gjj.transfer"]
    assert umbrella_options(text, ["gjj.transfer"]) is None  # a reading of the matcher's: its to make
    assert umbrella_options(text, ["gjj.transfer"], unplaced=True) == options
    assert umbrella_options("在上海交的保险想转回老家来", ["yibao.transfer"]) == ["renshe.pension_transfer", "yibao.transfer"]
    # A topic word alone in a longer message is its background, not what is asked.
    assert umbrella_options("我在杭州上班交了好几年社保了 现在老家的房子要注销抵押 咋办", ["bdc.mortgage_cancel"],
                            unplaced=True) is None


def test_an_answer_to_which_one_told_by_the_words_that_tell_the_options_apart():
    from actions.umbrellas import option_told_among

    # Writer AR: "每个月都有的那种" after 低保 or 临时救助.
    options = ["minzheng.subsistence_allowance", "minzheng.temporary_assistance"]
    assert option_told_among("要每个月都能领的", options) == "minzheng.subsistence_allowance"
    assert option_told_among("突然出了车祸那种", options) == "minzheng.temporary_assistance"
    assert option_told_among("就是那个", options) is None
    assert option_told_among("每个月都有的那种", ["minzheng.subsistence_allowance", "gongan.id_card_lost"]) is None


def test_a_baby_told_born_a_month_ago_is_the_newborn_s_insurance():
    # Writer BF: "娃儿生了一个月了…想给他办医保" was asked whether it was the adults' insurance.
    assert umbrella_options("伢儿生了两个月了 想给他办医保", ["yibao.newborn_enroll"]) is None


def test_a_correction_says_which_sibling_of_the_topic_is_meant():
    from actions.umbrellas import corrected_option

    # Writer BI: "勿是补办，是到期了要换" after 身份证补领 stayed on 补领.
    assert corrected_option("不是丢了，是快到期了要换", "gongan.id_card_lost") == "gongan.id_card_renew"
    assert corrected_option("不是第一次办 是丢了", "gongan.id_card_first") == "gongan.id_card_lost"
    assert corrected_option("不是这个", "gongan.id_card_lost") is None
    assert corrected_option("要带什么", "gongan.id_card_lost") is None
