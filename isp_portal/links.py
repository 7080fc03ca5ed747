"""The addresses a page links to, reversed once per route rather than once per link (docs/fast-pages.md §4).

Django's `reverse` walks the URL resolver on every call: about 12 to 14 µs here, and the agency page has over
thirty links (a change and an end-membership link per person, one per signed protocol, the layout's own). A
route whose arguments are all whole numbers (`<int:pk>`) is reversed once with stand-in numbers, and each
link is then the route's text with the numbers put in: the same address `reverse` gives, for a dictionary
lookup and a join. Anything else (a non-integer or negative argument, keyword arguments, a route the stand-ins
do not fit) goes through `reverse` as before, which also raises `NoReverseMatch` as before.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

# Stand-ins for the arguments: large enough that no route's literal text contains them.
_STAND_INS = (982451653, 982451657, 982451659, 982451671)

# (urlconf, script prefix, route name, number of arguments) -> the route's text split around the arguments,
# or None when the route cannot be filled in this way. Bounded by the routes the portal has.
_routes: dict[tuple[object, str, str, int], tuple[str, ...] | None] = {}


def _split(name: str, count: int) -> tuple[str, ...] | None:
    stand_ins = _STAND_INS[:count]
    try:
        text = reverse(name, args=stand_ins)
    except NoReverseMatch:
        return None
    parts: list[str] = []
    for stand_in in stand_ins:
        before, found, text = text.partition(str(stand_in))
        if not found or str(stand_in) in text:
            return None
        parts.append(before)
    parts.append(text)
    return tuple(parts)


class Routes:
    """Links as of now: the URL configuration and script prefix in force are read once, when made (each is a
    context-local read, 4 to 7 µs here: more than filling in the route), so make one per page or per table,
    not per link. `Routes()(name, *args)` is `reverse(name, args=args)`."""

    def __init__(self) -> None:
        self.urlconf = get_urlconf()
        self.prefix = get_script_prefix()

    def __call__(self, name: str, *args: object) -> str:
        count = len(args)
        if count > len(_STAND_INS) or not all(type(arg) is int and arg >= 0 for arg in args):
            return reverse(name, args=args)
        key = (self.urlconf, self.prefix, name, count)
        try:
            parts = _routes[key]
        except KeyError:
            parts = _routes[key] = _split(name, count)
        if parts is None:
            return reverse(name, args=args)
        if count == 0:
            return parts[0]
        pieces = [parts[0]]
        for arg, part in zip(args, parts[1:], strict=True):
            pieces += (str(arg), part)
        return "".join(pieces)


def link(name: str, *args: object) -> str:
    """`reverse(name, args=args)`, with the route reversed once per process when every argument is an int
    (not a bool) of at least 0. For several links, make one `Routes()` and call it."""
    return Routes()(name, *args)
