"""OneTrip's Rasa graph components. Importing them also masks phone and ID numbers in the Rasa
server's logs (Rasa imports components after it has configured logging)."""

from bot.privacy import install_log_masking

install_log_masking()

# Every Rasa process imports these components: install the Rasa fixes of bot/rasa/ there, also
# under deploy/'s endpoints.
import bot.rasa  # noqa: E402

bot.rasa.install()
