"""Validation and normalisation of service identifiers per ISP article type.

``normalize(article_type, value)`` returns the canonical form of an identifier
(lower-case domain names, compressed CIDR networks, ...) or raises
``InvalidIdentifier`` with an English message that names the problem.
"""

import ipaddress
import re

# Article types whose identifier names one unit: one service per unit, unique among live services.
UNIQUE_TYPES = ("domain", "hosting", "server", "ip_network", "database", "access_line")

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DATABASE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_LINE_ID = re.compile(r"^[A-Z0-9][A-Z0-9./-]{2,39}$")


class InvalidIdentifier(ValueError):
    """The identifier does not fit its article type."""


def _domain(value, what):
    name = value.strip().rstrip(".").lower()
    for label in name.split("."):
        if not 0 < len(label) <= 63:
            raise InvalidIdentifier(f"{value!r} is not a valid {what}: each label needs 1 to 63 characters")
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise InvalidIdentifier(f"{value!r} is not a valid {what}: {error}") from error
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or len(labels) < 2:
        raise InvalidIdentifier(f"{value!r} is not a valid {what}: it needs a name and a top-level domain")
    for label in labels:
        if not _LABEL.match(label):
            raise InvalidIdentifier(
                f"{value!r} is not a valid {what}: {label!r} may only contain letters, digits and "
                "inner hyphens, 1 to 63 characters"
            )
    if labels[-1].isdigit():
        raise InvalidIdentifier(f"{value!r} is not a valid {what}: the top-level domain cannot be numeric")
    # the ASCII (IDNA) form: one spelling per name, as registries and DNS use it
    return ascii_name


def normalize(article_type, value):
    """Return the canonical identifier for ``article_type`` or raise InvalidIdentifier."""
    value = (value or "").strip()
    if not value:
        raise InvalidIdentifier("an identifier is required")
    if article_type == "domain":
        return _domain(value, "domain name")
    if article_type in ("hosting", "server"):
        return _domain(value, "host name")
    if article_type == "ip_network":
        try:
            return str(ipaddress.ip_network(value, strict=True))
        except ValueError as error:
            raise InvalidIdentifier(f"{value!r} is not a network in CIDR notation: {error}") from error
    if article_type == "database":
        if not _DATABASE.match(value):
            raise InvalidIdentifier(
                f"{value!r} is not a valid database name: start with a letter or _, then letters, "
                "digits or _, at most 63 characters, lower case"
            )
        return value
    if article_type == "access_line":
        line_id = value.upper()
        if not _LINE_ID.match(line_id):
            raise InvalidIdentifier(
                f"{value!r} is not a valid line id: 3 to 40 letters, digits, '.', '/' or '-', "
                "starting with a letter or digit"
            )
        return line_id
    return value
