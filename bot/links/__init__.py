"""Links (`url:` briefs): fetch a page safely, extract its main text, and turn it into a brief.

`LinkReader` (bot.links.reader) is the entry point; `PageBrief.prompt` is the brief's prompt.
"""

from bot.links.extract import Page, PageBrief, brief_from_page, extract_page
from bot.links.fetch import FetchedPage, PageFetcher
from bot.links.guard import AddressPolicy, GuardedResolver, is_public
from bot.links.reader import LinkReader, PageCache

__all__ = [
    "AddressPolicy",
    "FetchedPage",
    "GuardedResolver",
    "LinkReader",
    "Page",
    "PageBrief",
    "PageCache",
    "PageFetcher",
    "brief_from_page",
    "extract_page",
    "is_public",
]
