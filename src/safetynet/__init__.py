"""SafetyNet: a platform for precise social assistance (精准社会救助)."""

__version__ = "0.1.0"
