"""Activation stage: takes a saved project bundle (core.export.bundle) and new data or seed lists; gives
membership changes (refresh), signed webhook deliveries, control-group flags and lookalike rankings."""
