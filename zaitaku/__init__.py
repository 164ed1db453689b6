"""zaitaku: reproducible municipal feedback reports for the 在宅医療・介護連携推進事業 survey."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("zaitaku")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
