"""Brand kits: the rules every draft of a brand obeys, whichever engine writes it.

kit.py       BrandKit, the effective kit (config's starting kit, then what admins stored)
rules.py     the text rules: banned phrases, emoji policy, required text within the limit
examples.py  the example posts closest to a brief, for the prompt
service.py   BrandKits: which brand an origin belongs to, reading and changing its kit
"""

from bot.brandkit.kit import DEFAULT_BRAND, BrandKit

__all__ = ["DEFAULT_BRAND", "BrandKit"]
