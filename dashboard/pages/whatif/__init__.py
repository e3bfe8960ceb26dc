"""What-if: start from a customer, a segment's typical member or a session, move the
behaviours a marketer can influence, and watch purchase chance, revenue, churn tier and value
at risk respond, with a sensitivity curve under every slider and the top reasons.

The starting profile is in the URL (``?customer=ID``, ``?segment=ID``, ``?session=ID``);
without one the page starts from the customer with the highest value at risk. Slider moves
run one callback that recomputes the predictions and every curve from the models already in
memory (the engine is kept once per build) and patches only the curves' numbers.

- :mod:`.state`: the engine and profiles, in the one build cache;
- :mod:`.layout`: the page; :mod:`.cards`: what a slider move redraws;
  :mod:`.figures`: the sensitivity curve;
- :mod:`.callbacks`: the callbacks, as functions a test can call.
"""

from dashboard.pages.whatif.callbacks import register_callbacks
from dashboard.pages.whatif.layout import layout, warm
from dashboard.pages.whatif.state import PATH, TITLE, engine, start_prediction, starting_profile

__all__ = [
    "PATH",
    "TITLE",
    "engine",
    "layout",
    "register_callbacks",
    "start_prediction",
    "starting_profile",
    "warm",
]
