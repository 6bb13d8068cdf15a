"""Interest Lens engine: UI-free, importable and testable without streamlit."""

__version__ = "0.1.0"
