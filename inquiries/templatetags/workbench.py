"""Template tags of operations' workbench, so that the inquiry page can include its actions
without its view knowing about them."""

from django import template

from ..buyers import buyer_holder
from ..forms import REASON_SUGGESTIONS, DisputeDecisionForm, ReassignForm
from ..models import InquiryState
from ..selectors import latest_sales_flag

register = template.Library()


@register.simple_tag
def ops_actions_for(inquiry) -> dict:
    """The forms of the operations panel on an inquiry's page (one or two queries)."""
    disputed = inquiry.state == InquiryState.DISPUTED
    return {
        "reassign": ReassignForm(initial={"expected_owner": inquiry.owner_id}),
        "buyer_holder": buyer_holder(inquiry.buyer_id, exclude_inquiry_ids=[inquiry.pk]),
        "reasons": REASON_SUGGESTIONS,
        "flag": latest_sales_flag(inquiry) if disputed else None,
        "decide": DisputeDecisionForm(prefix="d") if disputed else None,
    }
