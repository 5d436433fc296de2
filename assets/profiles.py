"""The rendition profiles: one per channel, the table renditions, criteria and reviews read."""

from typing import Any

# Renditions per channel: print goes to CMYK through RENDITION_CMYK_ICC at a resolution the
# slot's print width needs; digital channels get sRGB within a pixel limit.
PROFILES: dict[str, dict[str, Any]] = {
    "print": {
        "channel": "print",
        "format": "TIFF",
        "colour": "CMYK",
        "min_dpi": 300,
        "default_width_mm": 40,
    },
    "email": {"channel": "email", "format": "PNG", "max_side": 1200},
    "web": {"channel": "web", "format": "WEBP", "max_side": 2000},
    "mobile": {"channel": "mobile", "format": "PNG", "max_side": 1080},
}
