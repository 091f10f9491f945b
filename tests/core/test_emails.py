"""Every email is three templates; the two plain-text ones are never HTML-escaped."""

from datetime import timedelta
from pathlib import Path

import pytest

from core.emails import duration_text

EMAILS = Path(__file__).resolve().parent.parent.parent / "templates" / "emails"


@pytest.mark.parametrize("path", sorted(EMAILS.glob("*.txt")), ids=lambda p: p.name)
def test_a_plain_text_template_turns_autoescape_off(path):
    text = path.read_text()
    assert text.startswith("{% autoescape off %}"), f"{path.name}: 'A & B' would read 'A &amp; B'"
    assert text.rstrip().endswith("{% endautoescape %}")


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(days=14), "14 days"),
        (timedelta(days=1), "1 day"),
        (timedelta(hours=36), "36 hours"),
        (timedelta(minutes=90), "90 minutes"),
        (timedelta(seconds=45), "45 seconds"),
    ],
)
def test_a_duration_in_words(delta, words):
    assert duration_text(delta) == words
