"""Semantic Versioning 2.0.0: the syntax a Seed jobVersion/packageVersion must follow, and the
precedence order used to pick a name's latest version and to sort versions."""

import re

_NUMBER = r'(?:0|[1-9][0-9]*)'
# A pre-release identifier is numeric (no leading zero) or alphanumeric (at least one non-digit).
_PRE_IDENTIFIER = rf'(?:{_NUMBER}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)'
_BUILD_IDENTIFIER = r'[0-9A-Za-z-]+'

SEMVER_PATTERN = (
    rf'^(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})'
    rf'(?:-(?P<pre>{_PRE_IDENTIFIER}(?:\.{_PRE_IDENTIFIER})*))?'
    rf'(?:\+(?P<build>{_BUILD_IDENTIFIER}(?:\.{_BUILD_IDENTIFIER})*))?$'
)
_SEMVER = re.compile(SEMVER_PATTERN.removesuffix('$') + r'\Z')


def is_semver(text):
    return isinstance(text, str) and _SEMVER.match(text) is not None


def precedence_key(version):
    """A sort key that orders SemVer strings by precedence (semver.org, item 11): major, minor and
    patch numerically; a pre-release before its release; pre-release identifiers one by one,
    numeric ones numerically and before alphanumeric ones, which compare in ASCII order; more
    identifiers after fewer. Build metadata is ignored, so 1.0.0+a and 1.0.0+b have equal keys.

    Strings that are not SemVer sort before every SemVer string, by their text.
    """
    match = _SEMVER.match(version) if isinstance(version, str) else None
    if match is None:
        return (0, str(version))
    core = (int(match['major']), int(match['minor']), int(match['patch']))
    pre = match['pre']
    if pre is None:
        return (1, core, (1,))
    identifiers = tuple((0, int(part), '') if part.isdigit() else (1, 0, part) for part in pre.split('.'))
    return (1, core, (0, identifiers))


def sort_key(version):
    """precedence_key, then the text: a total order (versions differing only in build metadata
    keep a stable order)."""
    return (precedence_key(version), str(version))
