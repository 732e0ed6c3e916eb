from .__about__ import __version__
from .check import GenesysCloudCheck

__all__ = ['__version__', 'GenesysCloudCheck']
