"""Helpers shared by the validators of JSON request documents (Seed manifests, job configurations,
workspaces, files): paths into the request body, collecting every error before raising one
InvalidDocument, and the checks every stored document needs whatever its schema."""

import math

from job.exceptions import InvalidDocument

# An answer lists at most this many problems: enough to fix a document, bounded whatever it holds.
MAX_ERRORS = 100


def child_path(path, key):
    """`path` extended by an object key (`a.b`) or an array index (`a[0]`)."""
    if isinstance(key, int):
        return f'{path}[{key}]'
    return f'{path}.{key}' if path else str(key)


def short(value, limit=60):
    """A bounded rendering of a value for an error message."""
    text = repr(value)
    return text if len(text) <= limit else f'{text[: limit - 3]}...'


class DocumentErrors:
    """Collects (Scale error name, path, message) triples and raises them as one InvalidDocument.

    The InvalidDocument's `name` is the first error's name; its `names` attribute maps each path to
    the name of its first error, for answers that list errors by name (the validation endpoint).
    """

    def __init__(self):
        self.errors = {}
        self.names = {}
        self.count = 0

    def __bool__(self):
        return bool(self.errors)

    def add(self, name, path, message):
        if self.count >= MAX_ERRORS:
            return
        messages = self.errors.setdefault(path, [])
        if message in messages:
            return
        messages.append(message)
        self.names.setdefault(path, name)
        self.count += 1

    def raise_if_any(self):
        if not self.errors:
            return
        exc = InvalidDocument(self.errors, name=next(iter(self.names.values())))
        exc.names = dict(self.names)
        raise exc


def error_list(exc):
    """`[{name, description}]` of an InvalidDocument, one item per message, as the v6 validation
    answers list them."""
    names = getattr(exc, 'names', {})
    return [
        {'name': names.get(path, exc.name), 'description': f'{path}: {message}'}
        for path, messages in exc.errors.items()
        for message in messages
    ]


def text_problem(text):
    """Why `text` cannot be stored (a NUL character, or a lone surrogate that is not Unicode text), or
    None."""
    if '\x00' in text:
        return 'holds a NUL character'
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        return 'is not valid Unicode text (a lone surrogate)'
    return None


def value_problems(document, path):
    """(path, message) of every value no database can store or no job can use: a string (or key)
    holding a NUL character or a lone surrogate, or a number that is not finite (a JSON number too
    large for a float). Iterative, so any nesting depth is safe."""
    stack = [(document, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                problem = text_problem(key)
                if problem:
                    yield where, f'a key {problem}'
                else:
                    stack.append((item, child_path(where, key)))
        elif isinstance(value, list):
            stack.extend((item, child_path(where, index)) for index, item in enumerate(value))
        elif isinstance(value, str) and text_problem(value):
            yield where, text_problem(value)
        elif isinstance(value, float) and not math.isfinite(value):
            yield where, 'is not a finite number'


def check_values(document, path, errors, name):
    """Adds to `errors` (DocumentErrors) every value_problems() of `document`, under the Scale error `name`."""
    for where, message in value_problems(document, path):
        errors.add(name, where, message)
