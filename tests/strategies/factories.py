"""Small builders for strategy records in tests."""

import re

from strategies.services import StrategyData, save_strategy


def make_strategy(strategy_id="GBR0007s", jurisdiction=None, **fields):
    data = StrategyData(
        strategy_id=strategy_id,
        title=fields.pop("title", "Serious and Organised Crime Strategy"),
        jurisdiction=jurisdiction or re.match(r"[A-Z]+", strategy_id).group(),
        **fields,
    )
    return save_strategy(data).strategy
