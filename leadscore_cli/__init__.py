"""leadscore: score, grade and rank sales leads in batch from CRM exports."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leadscore")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"
