"""An App Inventor-like toolkit: design an app in a notebook, click it, keep its data, serve it, export it.

One module per stage: ``components`` (the model), ``actions`` (simple handlers as data),
``design`` (designs as data and their checks), ``store`` (TinyDB), ``preview`` (ipywidgets),
``aia`` (App Inventor export and import), ``serve`` (Voilà and the QR code). For the learner's own app:
``schedules`` (Japanese schedules and holidays), ``patterns`` (a few lines per kind of ワガママ), ``saved`` (her
files and her app carried from module to module), ``tour`` (a tester's finger: every button, every screen).
"""

from .aia import export_aia, read_aia
from .components import COMPONENT_TYPES, App, Component, DesignError, Screen
from .design import check_design, load_design
from .saved import load_app, my_app, my_design, save_app
from .schedules import ScheduleError
from .store import StoreWarning

__all__ = ["App", "Component", "Screen", "DesignError", "StoreWarning", "ScheduleError", "COMPONENT_TYPES",
           "load_design", "check_design", "export_aia", "read_aia", "save_app", "load_app", "my_app", "my_design"]
