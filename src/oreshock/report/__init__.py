"""Reports of a stored run in Japanese and English: text written from the numbers, charts,
maps, HTML and PDF."""

from oreshock.report.builder import build_context, render_html, report_data, write_report

__all__ = ["build_context", "render_html", "report_data", "write_report"]
