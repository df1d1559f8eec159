"""Which addresses a link may reach (SSRF), checked after DNS resolution and on every redirect.

Why a resolver rather than a check before the request: a name checked first and connected to later is
resolved twice, and an attacker's DNS can answer a public address to the check and 127.0.0.1 to the
connection (DNS rebinding). `GuardedResolver` is the resolver aiohttp's connector itself uses: it
resolves once, refuses the whole answer if any address in it is forbidden, and hands the connector the
very addresses it checked, so nothing is resolved between the check and the connect. aiohttp skips
resolvers for IP literals, so `AddressPolicy.check_url` checks those (and the scheme) on every hop.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from bot.config import LinksConfig
from bot.errors import LinkRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = ("http", "https")
# Cloud metadata services. Most are link-local or shared addresses and refused as such; named here so
# that an `allow_networks` entry covering them never opens them (only allow_private does).
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254", "192.0.0.192")
)


def _embedded(ip: IPAddress) -> IPAddress | None:
    """The IPv4 address an IPv6 one carries (::ffff:127.0.0.1, 6to4, Teredo), which a stack may use."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
    return None


def is_public(ip: IPAddress) -> bool:
    """A globally routable unicast address: not private, loopback, link-local, multicast, reserved,
    unspecified, shared (CGNAT) or metadata."""
    inner = _embedded(ip)
    if inner is not None and not is_public(inner):
        return False
    return (
        ip.is_global
        and not ip.is_multicast
        and not ip.is_reserved
        and not ip.is_link_local
        and not ip.is_loopback
        and not ip.is_unspecified
        and ip not in METADATA
    )


@dataclass(frozen=True)
class AddressPolicy:
    """`allow_private` opens everything (a page on this machine, the tests' loopback server);
    `networks` opens chosen ranges only."""

    allow_private: bool = False
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_config(cls, config: LinksConfig) -> AddressPolicy:
        nets = tuple(ipaddress.ip_network(n, strict=False) for n in config.allow_networks)
        return cls(config.allow_private, nets)

    def allows(self, ip: IPAddress) -> bool:
        if self.allow_private or is_public(ip):
            return True
        return ip not in METADATA and any(ip in net for net in self.networks)

    def check_addresses(self, host: str, addresses: Iterable[str], url: str | None = None) -> None:
        """Refuse if any address is forbidden: an answer mixing a public and a private address could
        have the connector fall back to the private one."""
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])  # a zone id (fe80::1%eth0) is not the address
            if not self.allows(ip):
                shown = host if host == address else f"{host} ({address})"
                raise LinkRefused(
                    f"The link points at a private or internal address, {shown}, which PostPulse does "
                    "not fetch. Give a public web page's address.",
                    url=url,
                )

    def check_url(self, url: URL) -> None:
        """The scheme, a host, and an IP-literal host (aiohttp never passes those to the resolver)."""
        if url.scheme not in SCHEMES or not url.host:
            raise LinkRefused(
                f"The link must be a web address starting with http:// or https:// (got {str(url)[:200]!r}).",
                url=str(url),
            )
        try:
            ip = ipaddress.ip_address(url.host.strip("[]"))
        except ValueError:
            return  # a name: GuardedResolver checks what it resolves to
        self.check_addresses(url.host, [str(ip)], str(url))


class GuardedResolver(AbstractResolver):
    """Resolves with `inner` (the system resolver in a thread by default), checks every address, and
    returns exactly those: the connector connects to what was checked."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self.policy = policy
        self.inner = inner if inner is not None else ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self.inner.resolve(host, port, family)
        self.policy.check_addresses(host, [a["host"] for a in answers])
        return answers

    async def close(self) -> None:
        await self.inner.close()
