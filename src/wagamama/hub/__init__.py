"""JupyterHub for real cohorts: one module per stage.

``plan`` (users, groups, roles, services from the cohorts), ``accounts`` (Unix users, homes, folder
permissions), ``config`` (settings and the hub's configuration), ``sync`` (roster → gradebook →
running hub), ``k8s`` (Zero to JupyterHub values from the same plan). For a class that logs in at once:
``spawn_queue`` (servers start a few at a time, the others wait on a Japanese page), ``singleuser`` (a
cheaper start of each server), ``warm`` (``wagamama hub warm``: servers ready before class).
"""
