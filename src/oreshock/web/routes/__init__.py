"""Routes of the HTTP API as one ``APIRouter`` per group; ``oreshock.web.app`` includes them.

Each route mirrors a CLI command's JSON (the command groups of ``oreshock.cli``) and gets the service
through ``oreshock.web.service.ServiceDep``. A new route goes into the module of its group
(``data``, ``scenarios``, ``runs``, ``reports``, ``metrics``, ``dashboard``); a new group is a
new module with a ``router``, added to the list in ``oreshock.web.app``.
"""
