from html.parser import HTMLParser

from workflows.announcements.models import render_markdown


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_markdown_becomes_basic_html():
    html = render_markdown("## 通知\n\n**重要**：*请* 阅读\n\n- 一\n- 二")

    assert [tag for tag, _ in tags_of(html)] == ["h2", "p", "strong", "em", "ul", "li", "li"]


def test_raw_html_in_the_source_is_shown_as_text():
    html = render_markdown('<script>alert("x")</script> <img src=x onerror="alert(1)">')

    assert tags_of(html) == [("p", {})]
    assert "&lt;script&gt;" in html


def test_a_javascript_link_loses_its_target():
    html = render_markdown("[点我](javascript:alert(1)) [again](JaVaScRiPt:alert(1))")

    assert all("href" not in attrs for tag, attrs in tags_of(html) if tag == "a")
    assert "javascript" not in html.lower()


def test_links_open_without_passing_on_the_page_or_a_vote():
    html = render_markdown("[社区](https://example.org/x)")

    assert ("a", {"href": "https://example.org/x", "rel": "noopener nofollow"}) in tags_of(html)


def test_images_from_elsewhere_are_not_shown():
    html = render_markdown("![tracker](https://evil.example/pixel.png)")

    assert "img" not in [tag for tag, _ in tags_of(html)]
    assert "evil.example" not in html
