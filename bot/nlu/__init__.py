"""OneTrip's Rasa graph components. Importing them also masks phone and ID numbers in the Rasa
server's logs (Rasa imports components after it has configured logging)."""

from bot.privacy import install_log_masking

install_log_masking()

# Every Rasa process imports these components: make action-response validation cheap there too
# (also under deploy/'s endpoints, which do not use bot.rasa.stores).
from bot.rasa import validation  # noqa: E402

validation.install()
