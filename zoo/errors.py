"""The one exception type the exporter shows to users as a single sentence."""


class ExportError(Exception):
    """A problem the user can fix. Its message is one sentence naming what to change."""
