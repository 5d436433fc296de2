"""The word diff of legal texts: punctuation stays with its word, spacing is not a change."""

from assets.previews import word_diff


def rendered(old: str, new: str) -> str:
    marks = {"same": "{}", "added": "[+{}]", "removed": "[-{}]"}
    return "".join(marks[operation].format(text) for operation, text in word_diff(old, new))


def test_punctuation_stays_with_its_word() -> None:
    shown = rendered(
        "Rates may change. Terms and conditions apply.",
        "Rates may change at any time. Terms, conditions and fees apply.",
    )
    assert shown == (
        "Rates may change [+at any time]. Terms[+, conditions ]and [-conditions ][+fees ]apply."
    )


def test_a_word_that_only_moved_to_a_new_line_is_no_change() -> None:
    assert word_diff("Capital at risk.", "Capital at\nrisk.") == [("same", "Capital at\nrisk.")]
    assert rendered("Fees apply", "Fees apply now") == "Fees apply [+now]"
    assert rendered("It's the client’s fee-free offer.", "It's the client’s fee-free deal.") == (
        "It's the client’s fee-free [-offer][+deal]."
    )
