from django.apps import AppConfig


class ScaleConfig(AppConfig):
    name = 'scale'
    verbose_name = 'Scale'

    def ready(self):
        from scale.db import connect_signals

        connect_signals()
