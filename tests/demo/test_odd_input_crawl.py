"""Every page, as a visitor and as every demo account, with odd input: never a server error.

For each URL pattern (with ids that exist in the demo and ones that do not): a GET, a GET with
odd values in the query parameters the list pages read, every POST form the page shows sent
back with odd values in every field, and a POST to the URL itself. Odd: a NUL byte, bidi and
byte-order marks, 70,000 characters, a 20-digit number, markup, an impossible date, blanks.
Any answer of 500 or more, or any exception a view lets out, fails the test with the list of
the URLs, shapes of ids folded.

It reads every page some twenty times per account, about half a minute per account here (ten
minutes for all nineteen), so it runs only when asked:
`ACCORD_CRAWL=1 pytest tests/demo/test_odd_input_crawl.py`
(`-k orgstaff` for one account). Run it after adding pages or forms.
"""

import itertools
import os
import re
import traceback
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver

from accounts.models import User
from demo.onboarding import PEOPLE

pytestmark = pytest.mark.skipif(
    not os.environ.get("ACCORD_CRAWL"),
    reason="a crawl of every page as every demo account (ten minutes): set ACCORD_CRAWL=1",
)

ODD = (
    "\x00",
    "𝔘\u202e\ufeff",
    "A" * 70_000,
    "99999999999999999999",
    "<script>x</script>",
    "2026-13-45T25:61",
    " ",
)
# The query parameters Accord's list pages and filters read.
QUERY_PARAMETERS = (
    "q",
    "page",
    "status",
    "state",
    "theme",
    "date_from",
    "date_to",
    "community",
    "organization",
    "sort",
    "tab",
)
# Ids that exist in the demo, and one no table reaches.
IDS = ("1", "2", "5", "99999999999")
# Not crawled: Django's admin, files, the language switch, logging out.
SKIPPED = ("admin/", "static/", "media/", "i18n/")


def routes(resolver=None, prefix: str = "") -> list[str]:
    """Every URL pattern as a route string (regular-expression patterns left out)."""
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found.extend(routes(pattern, route))
        elif "^" not in route and "(?P" not in route:
            found.append(route)
    return found


def urls_of(route: str) -> list[str]:
    """The route with its converters filled in (at most six combinations)."""
    parts = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    choices = [IDS if converter == "int" else ("x", "1") for converter, _name in parts]
    urls = []
    for values in itertools.islice(itertools.product(*choices), 6):
        url = route
        for (_converter, name), value in zip(parts, values, strict=True):
            url = re.sub(rf"<(?:\w+:)?{name}>", value, url, count=1)
        urls.append("/" + url)
    return urls


class PostForms(HTMLParser):
    """The POST forms of a page: (action, {field: value})."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._fields: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "").lower() == "post":
            self._fields = {}
            self.forms.append((attributes.get("action") or "", self._fields))
        elif self._fields is not None and tag in ("input", "select", "textarea"):
            name = attributes.get("name")
            if name:
                self._fields[name] = attributes.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None


class Crawl:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.failures: dict[str, str] = {}

    def request(self, method: str, url: str, data: dict | None = None):
        shape = f"{method} {re.sub(r'[0-9]+', 'N', url.split('?')[0])}"
        try:
            response = getattr(self.client, method.lower())(url, data)
        except Exception as error:  # each one is a finding, reported below
            where = traceback.extract_tb(error.__traceback__)[-1]
            self.failures.setdefault(shape, f"{error!r:.200} at {where.filename}:{where.lineno}")
            return None
        if response.status_code >= 500:
            self.failures.setdefault(shape, f"answered {response.status_code}")
        return response

    def page(self, url: str) -> None:
        response = self.request("GET", url)
        for odd in (ODD[0], ODD[2], ODD[3], ODD[5]):
            self.request("GET", url, dict.fromkeys(QUERY_PARAMETERS, odd))
        if response is not None and "html" in response.get("Content-Type", ""):
            parser = PostForms()
            parser.feed(response.content.decode("utf-8", "replace"))
            for action, fields in parser.forms:
                if "logout" in action:
                    continue
                for odd in ODD:
                    data = {
                        name: value if name == "csrfmiddlewaretoken" else odd
                        for name, value in fields.items()
                    }
                    self.request("POST", action or url, data)
        self.request("POST", url, {"x": ODD[0]})


@pytest.mark.parametrize("username", [None, *(person.username for person in PEOPLE)])
def test_no_page_answers_odd_input_with_a_server_error(demo, db, username):
    client = Client()
    if username is not None:
        client.force_login(User.objects.get(username=username))
    crawl = Crawl(client)
    for route in routes():
        if route.startswith(SKIPPED):
            continue
        for url in urls_of(route):
            crawl.page(url)
    assert not crawl.failures, "\n".join(f"{k}: {v}" for k, v in crawl.failures.items())
