"""The learned risk model (学习型风险排序): what home visits found, learned, used to rank alerts.

* :mod:`.features`: the feature matrix of a run (the indicator matrix, the household measures and
  the hidden-income proxies), with Chinese names for explanations;
* :mod:`.training`: gradient-boosted trees, calibrated, with metrics, an operating threshold and
  the fairness check that decides promotion;
* :mod:`.explain`: the top contributing features of one alert, in plain Chinese;
* :mod:`.dispatch`: ranking under each community's visit capacity;
* :mod:`.simulation`: the month-by-month evaluation protocol on the demo city.
"""
