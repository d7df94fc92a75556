"""Every internal link and anchor of the built site resolves."""

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mkdocs.utils.yaml import yaml_load

from learntorch.paths import ROOT

# Root-relative links (the 404 page uses them) start with the site's path on its host.
with open(ROOT / "mkdocs.yml") as config:
    SITE_PATH = urlsplit(yaml_load(config)["site_url"]).path


class _LinksAndIds(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name"):
            if attrs.get(name):
                self.ids.add(attrs[name])
        for name in ("href", "src"):
            if attrs.get(name) is not None and tag in ("a", "link", "img", "script", "iframe", "source"):
                self.links.append(attrs[name])


def _parse(path: Path) -> _LinksAndIds:
    parser = _LinksAndIds()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def _target(page: Path, site: Path, link: str) -> tuple[Path, str] | None:
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
        return None  # external: not this test's business
    path = unquote(parts.path)
    if path.startswith("/"):
        assert path.startswith(SITE_PATH), f"{link} is outside the site's path {SITE_PATH}"
        target = site / path[len(SITE_PATH):]
    else:
        target = page.parent / path if path else page
    if target.is_dir() or path.endswith("/"):
        target = target / "index.html"
    return target.resolve(), parts.fragment


def test_every_internal_link_and_anchor_resolves(built_site):
    parsed = {page: _parse(page) for page in built_site.rglob("*.html")}
    broken = []
    for page, result in parsed.items():
        for link in result.links:
            resolved = _target(page, built_site, link)
            if resolved is None:
                continue
            target, fragment = resolved
            where = f"{page.relative_to(built_site)} -> {link}"
            if not target.is_file():
                broken.append(f"{where}: no such file")
            elif fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if fragment not in ids:
                    broken.append(f"{where}: no anchor #{fragment}")
    assert len(parsed) > 10
    assert not broken, "\n".join(broken[:40])
