"""Rules of the answering action that need no server: which department two unsure readings name."""

from actions.conversation import MatchView
from actions.matters import ActionAnswerMatter


def _view(*matches):
    return MatchView(abstain=True, matches=[{"matter": m, "department": m.split(".")[0], "score": 0.2} for m in matches])


def test_two_unsure_readings_that_agree_name_the_department():
    unsure_outside = {"code": None, "outside": True, "score": 0.38,
                      "ranking": [{"code": "scjg", "score": 0.28}, {"code": "yingji", "score": 0.07}]}
    agreed = ActionAnswerMatter._agreed_department
    assert agreed(unsure_outside, _view("scjg.consumer_complaint", "zwfw.fallback")) == "scjg"
    # The 兜底 matter is no reading of the subject: the next candidate is.
    assert agreed(unsure_outside, _view("zwfw.fallback", "scjg.consumer_complaint")) == "scjg"
    # They disagree, or the router is sure it is none of ours: no department.
    assert agreed(unsure_outside, _view("shengtai.pollution_complaint")) is None
    assert agreed({**unsure_outside, "score": 0.95}, _view("scjg.consumer_complaint")) is None
    assert agreed(unsure_outside, _view()) is None
