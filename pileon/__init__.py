"""pileon: shield a person from a pile-on and turn it into evidence, offline."""

__version__ = "0.1.0"
__all__ = ["__version__"]
