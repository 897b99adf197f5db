"""Foresight (issue 19): the at-risk queue (即将超期风险) — the probability that an open case
misses its deadline, learnt from the store's history, stored with its model version and
read by the screens (docs/foresight.md). ``model.py`` is the model (pure frames),
``run.py`` fits, scores and reads against a store."""
