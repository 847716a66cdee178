"""Who must come in person, or may go for someone: "孩子一定要带过去吗", "他本人得去不，下不了床",
"卖车的朋友要跟我一起去车管所吗", "买卖双方都要到场吗", "好叫阿拉儿子代伊去伐",
"叫我女儿在上海帮我弄行不行".

Read by the aspect extractor (bot.nlu.aspects: the person is no material to bring; it asks who may
apply) and by the actions, which then answer who may apply and how many trips it takes.
"""

from __future__ import annotations

import re
from typing import List, Tuple

# The people a citizen names as coming, or going for them.
_PERSON = (r"(?:我自己|我本人|自己|小孩子|小孩|孩子|宝宝|娃娃|娃|儿子|女儿|老人家|老人|本人|他们|她们|他|她|老头子|老头|老太太|"
           r"老太婆|老伴|老公|老婆|爸爸|妈妈|爸妈|父母|爸|妈|病人|患者|当事人|老爷子|奶奶|爷爷|外婆|外公|"
           r"买卖双方|双方|两个人|两口子|夫妻俩|夫妻|卖方|买方|卖家|买家|对方|朋友|亲戚|家属|家里人|老乡|同事|原房主|房主|房东|中介|老板|"
           # Wu 囡儿 (daughter), northern 闺女 and 俺爹, Wu and Min 阿爸; employees sent by the boss
           r"囡儿|囡囡|闺女|俺爹|俺娘|爹|阿爸|阿妈|孙子|孙女|员工|职工)")
# "跟我一起", "和我一块儿": coming along with the citizen.
_ALONG = r"(?:(?:跟|和|同|陪)(?:我们|我|他们|她们|他|她|你))?(?:一起|一块儿?|一道)?"
_ARRIVE = r"(?:过去|过来|去|来|到场|到现场|到)"
# "囡儿去好伐", "我爸去行吗": whether it will do, before the question's last word
_WILL_DO = r"(?:能行|行|可以|好|中|成)"
_WHO_COMES = re.compile(
    # someone brought along: "要带孩子本人去吗"
    rf"(?:带|领|陪|推|背|抱|扶){_PERSON}(?:本人)?(?:一起|一块儿?)?(?:过去|过来|去|来|到场)"
    # someone who must come: "他本人得去不", "我老公要不要跟我一起去", "卖车的朋友要跟我一起去车管所吗"
    rf"|{_PERSON}(?:本人)?(?:也|都)?(?:一定|必须|非得|需要|得|要|用|要不要|用不用|需不需要|得不得)?(?:要|得)?(?:亲自)?"
    rf"{_ALONG}[带领陪推背抱扶]?{_ARRIVE}(?:[\u4e00-\u9fff]{{1,4}}?(?:所|局|中心|窗口|大厅|医院|学校))?"
    r"(?=[吗不伐么嘛呀啊没]|$)"
    # …or whether that will do: "囡儿去好伐", "我爸去行吗" (not a thing carried: "照片我自己带去可以吗")
    rf"|{_PERSON}(?:本人)?(?:也|都)?{_ALONG}{_ARRIVE}(?={_WILL_DO}[吗不伐么嘛呀啊没])"
    # someone going for them: "我去代她办可以吗", "好叫阿拉儿子代伊去伐"
    r"|(?:代|替)(?:我们|我|她|他|伊|你|老人|父母)(?:去|来)?(?:办|弄|领|跑|交|签|拿|去|来)"
    # someone asked to do it for them: "叫我女儿在上海帮我弄行不行", "可以委托在温州的表弟去办吗"
    # (not "我叫王芳", a name told, nor "老板叫我先去办", the citizen told to go)
    # …or asked whether that will do: "俺在外地 让俺爹去能行不"
    r"|(?<![我俺])(?:叫|让|托|委托)(?!我(?![儿女老爸妈家]))[\u4e00-\u9fff]{1,8}?(?:(?:帮|替|代)(?:我们|我|她|他|伊)?(?:去|来)?|去|来)"
    rf"(?:办|弄|领|跑|交|签|拿|(?={_WILL_DO}?[吗不伐么嘛呀啊没]))"
    # someone helping another do it: "公司员工能帮老板去办吗"
    rf"|{_PERSON}(?:能|可以|能不能)?帮[\u4e00-\u9fff]{{1,4}}?(?:去|来)?(?:办|弄|领|跑|交|签|拿)")


def who_comes(text: str) -> List[Tuple[int, int]]:
    """The spans of the (normalised, unspaced) text that ask who must come or may go for someone."""
    return [m.span() for m in _WHO_COMES.finditer(text)]
