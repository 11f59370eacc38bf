"""No patient data in URLs: the in-app patient search is posted, never put in a URL.

A name typed in a query string lands in the browser's history, in bookmarks, in the Referer
sent to the next page and in every access log on the way; a POST body does not. So the search
form posts (htmx too, without pushing a URL), the pages of a search are posted with the query
in the body, and a GET of the list ignores any search in its query string.
"""

from html.parser import HTMLParser
from urllib.parse import quote, quote_plus

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

TERM = "Zorglubeau"  # a birth name no URL of the page could hold by chance
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "hx-get",
    "hx-post",
    "hx-put",
    "hx-patch",
    "hx-delete",
    "hx-push-url",
    "hx-replace-url",
    "hx-vals",
    "data-url",
}
URL_HEADERS = ("Location", "HX-Push-Url", "HX-Replace-Url", "HX-Location", "HX-Redirect")


class _Markup(HTMLParser):
    """Collects every URL-bearing attribute, the forms, the search input and the buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.attributes: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.attributes.append((tag, attributes))
        self.urls += [value for name, value in attributes.items() if name in URL_ATTRIBUTES]

    def tags(self, tag: str, **match) -> list[dict]:
        return [
            attrs
            for name, attrs in self.attributes
            if name == tag and all(attrs.get(k) == v for k, v in match.items())
        ]


def _parse(response) -> _Markup:
    markup = _Markup()
    markup.feed(response.content.decode())
    return markup


def _assert_no_term_in_any_url(response, term: str) -> None:
    assert response.status_code == 200  # no redirect, which would carry it in a Location
    for header in URL_HEADERS:
        assert header not in response.headers, header
    forms = {term, term.lower(), quote(term), quote_plus(term), quote(term.lower())}
    markup = _parse(response)
    assert not [a for _, a in markup.attributes if "hx-push-url" in a or "hx-replace-url" in a]
    for url in markup.urls:
        assert not any(form.lower() in url.lower() for form in forms), url
        assert "q=" not in url, url


@pytest.fixture
def many_matches(structure):
    """Two pages of patients called TERM, and a few others."""
    factories.PatientFactory.create_batch(30, structure=structure, birth_name=TERM)
    factories.PatientFactory.create_batch(3, structure=structure, birth_name="Martin")


def test_the_search_form_posts_without_pushing_a_url(client, prescriber, patient):
    client.force_login(prescriber)
    markup = _parse(client.get(reverse("patients:list")))
    (form,) = markup.tags("form", role="search")
    assert form["method"] == "post"
    assert form["action"] == reverse("patients:list")
    (field,) = markup.tags("input", name="q")
    assert field["hx-post"] == reverse("patients:list")
    assert field["hx-trigger"] == "input changed delay:250ms, search"
    assert "hx-get" not in field and "hx-push-url" not in field and "hx-replace-url" not in field
    assert not [a for _, a in markup.attributes if "hx-push-url" in a or "hx-replace-url" in a]
    # Accessible: a visible label, the count of results (only) announced politely.
    assert markup.tags("label", **{"for": field["id"]})
    assert markup.tags("p", id="patient-results-status", **{"aria-live": "polite"})
    assert not markup.tags("div", id="patient-results", **{"aria-live": "polite"})


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_the_search_term_is_in_no_url_of_the_response(client, prescriber, many_matches, htmx):
    client.force_login(prescriber)
    headers = {"HX-Request": "true"} if htmx else {}
    first = client.post(reverse("patients:list"), {"q": TERM}, headers=headers)
    after = str(first.context["page"].last_pk)
    for data in ({"q": TERM}, {"q": TERM, "apres": after}, {"q": TERM.lower(), "avant": after}):
        response = client.post(reverse("patients:list"), data, headers=headers)
        assert response.context["page"].count == 30  # searched: the Martins are out
        assert TERM.upper() in response.content.decode().upper()  # the results, in the body
        _assert_no_term_in_any_url(response, data["q"])
        # `Referer` and the request's own URL: what the access log would hold.
        assert response.request["PATH_INFO"] == reverse("patients:list")
        assert response.request.get("QUERY_STRING", "") == ""


def test_the_pages_of_a_search_are_posted_with_the_query_in_the_body(
    client, prescriber, many_matches
):
    client.force_login(prescriber)
    first = client.post(reverse("patients:list"), {"q": TERM})
    assert first.context["page"].count == 30
    markup = _parse(first)
    (pages,) = [f for f in markup.tags("form") if f.get("class") == "patient-pages"]
    assert pages["method"] == "post" and pages["hx-post"] == reverse("patients:list")
    assert pages["hx-target"] == "#patient-results" and "hx-push-url" not in pages
    assert markup.tags("input", type="hidden", name="q", value=TERM)
    last_shown = first.context["page"].last_pk
    (next_button,) = markup.tags("button", type="submit", name="apres", value=str(last_shown))
    assert not markup.tags("a", **{"class": "page-link"})  # no page link at all
    # What that button sends: the query and the key of the last patient shown, in the body.
    second = client.post(reverse("patients:list"), {"q": TERM, "apres": next_button["value"]})
    assert len(second.context["page"].object_list) == 5
    assert not set(second.context["page"]) & set(first.context["page"])
    assert "5 affichés, par ordre alphabétique" in second.content.decode()
    assert markup.tags("input", name="csrfmiddlewaretoken")


def test_a_get_shows_the_first_page_without_search(client, prescriber, many_matches):
    client.force_login(prescriber)
    response = client.get(reverse("patients:list"), {"q": "martin", "apres": "x"})
    assert response.status_code == 200
    assert response.context["query"] == ""
    assert not response.context["page"].has_previous  # the first page
    assert response.context["page"].count == 33  # not searched
    assert 'value="martin"' not in response.content.decode()


def test_the_search_works_without_javascript(client, prescriber, many_matches):
    client.force_login(prescriber)
    response = client.post(reverse("patients:list"), {"q": "martin"})
    text = response.content.decode()
    assert "<html" in text and 'id="patient-search"' in text  # the whole page
    assert response.context["page"].count == 3
    assert 'value="martin"' in text  # what was typed stays in the field


def test_the_search_is_refused_without_the_csrf_token(prescriber, patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(prescriber)
    assert client.post(reverse("patients:list"), {"q": "dupont"}).status_code == 403


def test_the_htmx_search_sends_the_csrf_token_in_a_header(prescriber, patient):
    """htmx posts with the `X-CSRFToken` header that base.html sets on <body>."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(prescriber)
    page = client.get(reverse("patients:list"))
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("patients:list"),
        {"q": patient.birth_name[:3]},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert patient.full_name in response.content.decode()


def test_the_list_answers_only_get_and_post(client, prescriber):
    client.force_login(prescriber)
    assert client.put(reverse("patients:list"), "q=dupont").status_code == 405
    assert client.delete(reverse("patients:list")).status_code == 405
