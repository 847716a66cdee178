"""OneTrip's Rasa action server (rasa_sdk): one module per job, one client per external system.

Citizens type phone and ID numbers; every log line this process writes is masked
(bot.privacy), also when it runs without `onetrip up` (e.g. one container per process).
"""

from bot.privacy import install_log_masking

install_log_masking()
