"""Single source of the camigeo version (read by hatchling and by ``camigeo.__version__``)."""

__version__ = "0.1.0"
