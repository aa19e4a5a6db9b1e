"""WhatsApp Business Platform usage rating and BSP billing: the pure domain.

Modules: ``vocabulary`` (categories, rule sets), ``markets`` (recipient -> market),
``ratecards`` (CSV cards, effective dates), ``webhooks`` (Meta payloads -> typed events),
``timeline`` (inference path), ``rating`` (charges), ``fees`` (BSP fee models),
``statements`` (lines and rounding), ``budgets`` (thresholds and forecast).
"""
