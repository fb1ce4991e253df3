"""Mail to candidates through SES, from Jinja2 templates (HTML autoescaped, with a plain-text part)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from panelist.core import aws
from panelist.core.settings import get_settings

if TYPE_CHECKING:
    from jinja2 import Environment


@cache
def _templates() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape  # ~20 ms: only when mailing

    return Environment(
        loader=PackageLoader("panelist", "templates/mail"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def send(to: str, subject: str, template: str, **context: Any) -> str:
    """Send `template` (.txt and .html) to one address; SES's message id."""
    templates = _templates()
    response = aws.client("ses").send_email(
        Source=get_settings().mail_sender,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": templates.get_template(f"{template}.txt").render(**context), "Charset": "UTF-8"},
                "Html": {"Data": templates.get_template(f"{template}.html").render(**context), "Charset": "UTF-8"},
            },
        },
    )
    return str(response["MessageId"])
