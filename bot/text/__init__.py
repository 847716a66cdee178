"""The ground floor for text: what every part does to a citizen's words before reading them.

- `normalize`: the canonical form (繁→简 with OpenCC, full-width → half-width, one space);
- `regions`: which city or county of Zhejiang a message names;
- `choices`: which offered option a reply picks (a button, a number, "第二个", "最后那个");
- `denial`: whether a word is denied where it stands ("证没丢" says no loss);
- `phones`: the phone number a message gives (a mainland mobile, or a landline with area code);
- `spans`: entity offsets. The convention: an entity's `start`/`end` are positions in the
  message as the citizen wrote it (Rasa's own convention), found from a phrase of the normalised
  form with `spans.locate`.

Nothing here imports the rest of OneTrip (an import-linter contract in pyproject.toml).
"""
