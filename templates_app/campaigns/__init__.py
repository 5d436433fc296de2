"""Campaigns: versions put into the templates they target for a window, reviewed as a whole,
their readiness, resolution by time (the book), and their pages and API.

May import templates_app's own modules, assets, audit and govern; nothing of usage or console.
"""

from templates_app.campaigns.book import CampaignBook
from templates_app.campaigns.readiness import readiness
from templates_app.campaigns.services import (
    campaign_approve,
    campaign_cancel,
    campaign_create,
    campaign_item_add,
    campaign_item_remove,
    campaign_reject,
    campaign_submit,
    campaigns_tick,
)

__all__ = [
    "CampaignBook",
    "campaign_approve",
    "campaign_cancel",
    "campaign_create",
    "campaign_item_add",
    "campaign_item_remove",
    "campaign_reject",
    "campaign_submit",
    "campaigns_tick",
    "readiness",
]
