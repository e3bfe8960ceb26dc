"""Plain sentences for the what-if page: a reason as a sentence, a model version as the
model's name.

The reasons themselves ("7 cart adds raised purchase chance") are the phrases scoring stores
next to every customer (``models.explain``), and the what-if engine returns them unchanged so
they can be compared; only the page turns them into sentences ("7 cart adds raised the
purchase chance."). Also the page's words on what a curve is, and is not.
"""

from __future__ import annotations

import re

#: Facts whose words do not start a sentence by themselves, and how a sentence starts them.
_OPENINGS = (
    ("a customer for ", "Being a customer for "),
    ("last seen ", "Being last seen "),
    ("average order of ", "An average order of "),
    ("cart worth ", "A cart worth "),
    ("mean price viewed ", "A mean price viewed of "),
    ("highest price seen ", "A highest price seen of "),
    ("reached page ", "Reaching page "),
    ("visit at hour ", "A visit at hour "),
    ("weekday ", "A visit on weekday "),
    ("bounce rate ", "A bounce rate of "),
    ("exit rate ", "An exit rate of "),
    ("page value ", "A page value of "),
    ("special-day closeness ", "A special-day closeness of "),
    ("month ", "A visit in month "),
)
#: Yes/no features, phrased "name = 1" or "name = 0" in the stored reasons.
_FLAGS = {
    "returning visitor": ("Being a returning visitor", "Not being a returning visitor"),
    "new visitor": ("Being a new visitor", "Not being a new visitor"),
    "weekend": ("A visit at the weekend", "A visit on a weekday"),
}
_FLAG = re.compile(r"^(returning visitor|new visitor|weekend) = (\d+)")
_VERB = re.compile(r" (raised|lowered) (?!the )")
#: "1 days" → "1 day": the stored phrases always use the plural.
_SINGULAR = re.compile(
    r"(?<![\d.,])1 (day|visit|order|cart add|cart removal|product view|product page|event|"
    r"earlier visit|administrative page|informational page)s\b"
)
_CATEGORY = re.compile(r"(?<![\d.,])1 categories\b")
_BIG_NUMBER = re.compile(r"(?<![\d.,])(\d{4,})(?![\d])")
#: How candidate names read on a card.
MODEL_NAMES = {
    "xgboost": "XGBoost",
    "logistic_regression": "Logistic regression",
    "random_forest": "Random forest",
    "decision_tree": "Decision tree",
    "svm": "Support vector machine",
    "mlp": "Neural network (MLP)",
    "linear": "Ridge regression",
    "nested_ensemble": "Nested ensemble",
}


#: Under the curves: what they are (the model's response in this data) and are not.
ASSOCIATION_NOTE = (
    "The curves show how the model's prediction moves with each lever in this data — an "
    "association, not a promise that changing it causes the change."
)


def against_plain_meaning(more: str, expected: int, output_label: str) -> str:
    """The warning on a curve that runs against its lever's plain meaning, e.g. "more visits
    lower predicted revenue here: …" (``expected`` is the direction the output should
    take: 1, should not fall; -1, should not rise)."""
    verb = "lower" if expected > 0 else "raise"
    return (
        f"{more} {verb} {output_label.lower()} here: the model learned an association that "
        "runs against the lever's plain meaning — don't read it as cause"
    )


def plain_sentence(reason: str) -> str:
    """A stored reason as a sentence: capitalised, "the" before the outcome, singular after
    one, thousands separated, with a full stop."""
    text = reason.strip()
    if not text:
        return text
    flag = _FLAG.match(text)
    if flag:
        yes, no = _FLAGS[flag.group(1)]
        text = (yes if flag.group(2) != "0" else no) + text[flag.end() :]
    else:
        for opening, sentence in _OPENINGS:
            if text.startswith(opening):
                text = sentence + text[len(opening) :]
                break
    text = _VERB.sub(r" \1 the ", text)
    text = _SINGULAR.sub(r"1 \1", text)
    text = _CATEGORY.sub("1 category", text)
    text = _BIG_NUMBER.sub(lambda m: f"{int(m.group(1)):,}", text)
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def model_name(version: str | None) -> str | None:
    """The name of the model behind a version string (``task.candidate.hash``; several
    joined by " × " for an output computed from two models), e.g. "XGBoost × Logistic
    regression"."""
    if not version:
        return None
    names = []
    for part in version.split(" × "):
        pieces = part.strip().split(".")
        candidate = pieces[1] if len(pieces) >= 3 else part.strip()
        names.append(MODEL_NAMES.get(candidate, candidate.replace("_", " ").capitalize()))
    return " × ".join(names)
