"""URL converters of the pages."""


class ExportFormatConverter:
    """A table download format: csv or xlsx."""

    regex = "csv|xlsx"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
