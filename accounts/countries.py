"""Names of the countries stores are in, for the two-letter codes stored on them.

Only the countries our customers have stores in; any other code is shown as the code.
"""

COUNTRY_NAMES = {
    "AE": "United Arab Emirates", "AU": "Australia", "BE": "Belgium", "BR": "Brazil",
    "CA": "Canada", "CH": "Switzerland", "CN": "China", "DE": "Germany", "ES": "Spain",
    "FR": "France", "GB": "United Kingdom", "IE": "Ireland", "IN": "India", "IT": "Italy",
    "JP": "Japan", "KR": "South Korea", "MX": "Mexico", "NL": "Netherlands",
    "SA": "Saudi Arabia", "US": "United States",
}  # fmt: skip


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)
