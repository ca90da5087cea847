"""An App Inventor-like toolkit: design an app in a notebook, click it, keep its data, serve it, export it.

One module per stage: ``components`` (the model), ``actions`` (simple handlers as data),
``design`` (designs as data and their checks), ``store`` (TinyDB), ``preview`` (ipywidgets),
``aia`` (App Inventor export and import), ``serve`` (Voilà and the QR code).
"""

from .aia import export_aia, read_aia
from .components import COMPONENT_TYPES, App, Component, DesignError, Screen
from .design import check_design, load_design
from .store import StoreWarning

__all__ = ["App", "Component", "Screen", "DesignError", "StoreWarning", "COMPONENT_TYPES", "load_design",
           "check_design", "export_aia", "read_aia"]
