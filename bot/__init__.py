"""OneTrip (一次办): the project's Python package.

Sub-packages: ``catalogue`` (the 事项库 schema and loader), ``matching`` (matter matching),
``nlu`` (Rasa graph components), ``hall`` (the service-hall web app), ``channels`` (Rasa input
channels), ``cli`` (the ``onetrip`` command).
"""

__version__ = "0.1.0"
