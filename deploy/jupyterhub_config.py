# JupyterHub for Wagamama Lab on one server: every cohort in $WAGAMAMA_HOME/cohorts gets its groups,
# roles and formgrader service. Started by `sudo wagamama hub start` (which renders first); see README.md.
from wagamama.hub.config import configure

configure(get_config())  # noqa: F821
