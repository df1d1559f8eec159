"""Links: a loopback page server, the SSRF guard on every hop, the size, time and type limits, the cache,
and an article's main text turned into a brief with its specifics."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from bot.config import LinksConfig, load_config
from bot.errors import (
    InvalidOption,
    LinkRefused,
    LinkTimedOut,
    LinkUnreachable,
    NotAWebPage,
    NothingReadable,
    PageTooLarge,
)
from bot.links import AddressPolicy, LinkReader, is_public
from bot.messages import user_message
from tests.conftest import REPO
from tests.fakes.pages import NAMES, MapResolver, PageSite, site_pages


@pytest_asyncio.fixture(loop_scope="session")
async def site() -> AsyncIterator[tuple[PageSite, str]]:
    async for pages in site_pages():
        yield pages


ReaderFactory = Callable[..., LinkReader]


def links(**overrides: object) -> LinksConfig:
    return LinksConfig.model_validate({"allow_private": True, **overrides})


async def read_error(reader: LinkReader, url: str) -> Exception:
    async with reader:
        with pytest.raises(InvalidOption) as caught:
            await reader.brief(url)
    return caught.value


# --- the address policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "100.100.100.200", "224.0.0.1", "240.0.0.1", "0.0.0.0", "255.255.255.255", "::1", "fe80::1",
        "fc00::1", "fd00:ec2::254", "::ffff:127.0.0.1", "2002:7f00:1::", "ff02::1",
    ],
)  # fmt: skip
def test_private_loopback_link_local_multicast_reserved_and_metadata_addresses_are_not_public(
    address: str,
) -> None:
    assert not is_public(ipaddress.ip_address(address))
    assert not AddressPolicy().allows(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert AddressPolicy().allows(ipaddress.ip_address(address))


def test_allow_networks_opens_its_range_but_never_a_metadata_address() -> None:
    policy = AddressPolicy.from_config(LinksConfig(allow_networks=["10.0.0.0/8", "169.254.0.0/16"]))
    assert policy.allows(ipaddress.ip_address("10.9.9.9"))
    assert not policy.allows(ipaddress.ip_address("192.168.0.1"))
    assert not policy.allows(ipaddress.ip_address("169.254.169.254"))


def test_the_environment_switch_allows_private_addresses() -> None:
    config_path = REPO / "configs" / "default.yaml"
    assert load_config(config_path, env={}).links.allow_private is False
    assert load_config(config_path, env={"POSTPULSE_FETCH_ALLOW_PRIVATE": "1"}).links.allow_private is True


# --- an article -> a brief ----------------------------------------------------------------------


async def test_an_article_becomes_a_brief_with_its_title_key_points_and_specifics(
    site: tuple[PageSite, str],
) -> None:
    _, base = site
    config = load_config(REPO / "configs" / "default.yaml", env={"POSTPULSE_FETCH_ALLOW_PRIVATE": "1"}).links
    async with LinkReader(config) as reader:
        brief = await reader.brief(f"{base}/article#top")
    assert brief.title == "Acme launches the Widget 3"
    assert brief.url == f"{base}/article"
    for specific in ("$149", "March 14", "30%", "90", "40"):
        assert specific in brief.specifics
        assert specific in brief.prompt
    assert any(p.startswith("Acme today released the Widget 3") for p in brief.key_points)
    assert "The team is proud of it." not in brief.key_points  # no lead sentence, no specific
    for boilerplate in ("Subscribe", "newsletter", "Cookie", "Privacy"):
        assert boilerplate not in brief.prompt
    assert brief.prompt.startswith("Share this article: Acme launches the Widget 3\nKey points:\n- ")


async def test_pages_are_cached_by_url_until_the_ttl_passes(site: tuple[PageSite, str]) -> None:
    pages, base = site
    now = [1000.0]
    reader = LinkReader(links(cache_ttl_s=60), clock=lambda: now[0])
    async with reader:
        before = pages.hits.get("article", 0)
        first, second = await asyncio.gather(reader.brief(f"{base}/article"), reader.brief(f"{base}/article"))
        await reader.brief(f"{base}/article")
        assert pages.hits["article"] - before == 1  # one fetch for three reads, two of them at once
        assert first == second
        now[0] += 61
        await reader.brief(f"{base}/article")
        assert pages.hits["article"] - before == 2


# --- SSRF: refused before connecting, on the first hop and on every redirect ---------------------


async def test_private_addresses_are_refused_by_default(site: tuple[PageSite, str]) -> None:
    _, base = site
    error = await read_error(LinkReader(LinksConfig()), f"{base}/article")
    assert isinstance(error, LinkRefused)
    assert "private or internal address" in user_message(error)
    error = await read_error(LinkReader(LinksConfig(), resolver=MapResolver(NAMES)), "http://internal.test/")
    assert isinstance(error, LinkRefused) and "internal.test (10.0.0.5)" in str(error)


async def test_an_answer_mixing_public_and_private_addresses_is_refused() -> None:
    error = await read_error(LinkReader(LinksConfig(), resolver=MapResolver(NAMES)), "http://mixed.test/")
    assert isinstance(error, LinkRefused) and "10.0.0.5" in str(error)


@pytest.mark.parametrize(
    "target",
    [
        "http://internal.test:PORT/article",  # a name that resolves to a private address
        "http://127.0.0.2:PORT/article",  # loopback, outside the allowed 127.0.0.1/32
        "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
        "http://[::ffff:127.0.0.2]:PORT/article",  # loopback dressed as IPv6
        "file:///etc/passwd",
    ],
)
async def test_a_redirect_to_a_private_address_is_refused(site: tuple[PageSite, str], target: str) -> None:
    """The first hop is allowed (news.test -> 127.0.0.1, inside allow_networks); its redirect is not."""
    pages, _ = site
    config = LinksConfig(allow_networks=["127.0.0.1/32"])
    reader = LinkReader(config, resolver=MapResolver(NAMES))
    async with reader:  # the first hop alone is fine
        assert (await reader.brief(f"http://news.test:{pages.port}/article")).title
    hop = f"http://news.test:{pages.port}/redirect?to={target}"
    error = await read_error(LinkReader(config, resolver=MapResolver(NAMES)), hop)
    assert isinstance(error, LinkRefused)
    assert error.field == "url" and error.value == hop


# --- size, time, type, readability, reachability -------------------------------------------------


@pytest.mark.parametrize("path", ["/huge", "/huge-chunked"])
async def test_a_20_mb_page_is_refused(site: tuple[PageSite, str], path: str) -> None:
    _, base = site
    error = await read_error(LinkReader(links()), base + path)
    assert isinstance(error, PageTooLarge)
    assert user_message(error).startswith("The page is larger than 5 MB")


async def test_a_slow_page_gives_a_timeout_message(site: tuple[PageSite, str]) -> None:
    _, base = site
    error = await read_error(LinkReader(links(timeout_s=0.5)), f"{base}/slow")
    assert isinstance(error, LinkTimedOut)
    assert user_message(error).startswith("The page took longer than 0.5 s to arrive")


async def test_a_pdf_is_not_a_web_page(site: tuple[PageSite, str]) -> None:
    _, base = site
    error = await read_error(LinkReader(links()), f"{base}/report.pdf")
    assert isinstance(error, NotAWebPage)
    assert user_message(error) == "The link is a PDF, not a web page: give the address of an HTML page."


async def test_a_pdf_without_a_content_type_is_still_not_a_web_page() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = b"%PDF-1.7\n1 0 obj"
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        error = await read_error(LinkReader(links()), f"http://127.0.0.1:{port}/file")
    finally:
        server.close()
        await server.wait_closed()
    assert isinstance(error, NotAWebPage) and "a PDF" in str(error)


async def test_a_page_without_article_text_says_nothing_is_readable(site: tuple[PageSite, str]) -> None:
    _, base = site
    error = await read_error(LinkReader(links()), f"{base}/login")
    assert isinstance(error, NothingReadable)
    assert "no article text" in user_message(error)


async def test_unreachable_missing_and_looping_links_say_so(site: tuple[PageSite, str]) -> None:
    _, base = site
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    error = await read_error(LinkReader(links()), f"http://127.0.0.1:{closed}/")
    assert isinstance(error, LinkUnreachable) and "could not reach 127.0.0.1" in str(error)
    error = await read_error(LinkReader(links()), f"{base}/gone")
    assert isinstance(error, LinkUnreachable) and "answered 404" in str(error)
    loop = f"{base}/redirect?to=/redirect%3Fto%3D/article"  # two hops, one allowed
    error = await read_error(LinkReader(links(max_redirects=1)), loop)
    assert isinstance(error, LinkUnreachable) and "redirected more than 1 times" in str(error)


@pytest.mark.parametrize("url", ["example.com/page", "ftp://example.com/file", "http://"])
async def test_a_link_that_is_not_a_web_address_is_refused_with_what_to_give(url: str) -> None:
    error = await read_error(LinkReader(LinksConfig()), url)
    assert isinstance(error, LinkRefused) and "http" in str(error)
