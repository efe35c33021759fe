"""Settings, one module per concern, composed by ``development``, ``test`` and ``production``.

Every value that differs between machines comes from the environment (django-environ).
"""
