"""The matter matcher: from a citizen's own words to a service matter (事项) and its department."""

from bot.matching.matcher import Matcher
from bot.matching.results import Match, MatchResult
from bot.text.normalize import normalize

__all__ = ["Match", "MatchResult", "Matcher", "normalize"]
