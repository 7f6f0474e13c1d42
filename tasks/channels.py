"""The notification channels a run's policies name, loaded from Prefect before the first write."""

from __future__ import annotations

from prefect import task
from prefect.blocks.abstract import NotificationBlock
from prefect.cache_policies import NO_CACHE

from escalator.core.policy import Policy
from escalator.sweep.channels import channels_named, load_channels


@task(name="check-channels", cache_policy=NO_CACHE)
def check_channels(policies: list[Policy]) -> dict[str, NotificationBlock]:
    """Every notification block the policies name (``ChannelError`` listing the missing ones: nothing written)."""
    return load_channels(channels_named(policies))
