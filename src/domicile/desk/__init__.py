"""Regulator desk: authorities' requests, legal clocks, signed decisions, reports (docs/desk.md).

Modules: ``calendar``, ``clocks``, ``deadlines``, ``escalation`` (the deadline engine); ``catalog``
(request types as data), ``intake``, ``mail``, ``form`` (channels), ``workflow``, ``decisions``,
``signing``, ``execution``, ``adapter``, ``access`` (the lifecycle), ``escalate``, ``notifiers``,
``incidents``, ``ledger``, ``reports``, ``svg``, ``quarantine``, ``sealed``, ``store``, ``schema``,
``migrate``, ``config``, ``runtime``, ``service`` (the :class:`~domicile.desk.service.Desk` facade) and
``http`` (the FastAPI router). Nothing is imported here, so importing the package stays cheap.
"""
