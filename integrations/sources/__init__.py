"""Assessment sources other than manual entry: LMS calendar feeds (``ical_feed``)."""

from __future__ import annotations

from integrations.sources.ical_feed import FeedError, FeedEvent, ParsedFeed, parse_feed

__all__ = ["FeedError", "FeedEvent", "ParsedFeed", "parse_feed"]
