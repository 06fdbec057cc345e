"""The evidence report: HTML and PDF pages, SVG charts, a signed hash manifest, verification."""

from pileon.report.build import ReportOptions, ReportResult, build_report
from pileon.report.verify import VerifyResult, verify_report

__all__ = ["ReportOptions", "ReportResult", "VerifyResult", "build_report", "verify_report"]
