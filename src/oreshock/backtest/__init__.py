"""Back-tests: the model run on the episodes analysts remember, beside the observed record.

``episodes`` reads an episode (a scenario, the base year of the data it runs on, and checks
with tolerances stated before any calibration), ``observations`` the sourced record the
checks compare with, ``checks`` turns a run into the model's value of each check, and
``runner`` runs an episode and stores its run like any other.
"""
