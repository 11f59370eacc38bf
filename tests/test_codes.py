"""kernel.codes: the printed verification code, checked the same way for every document."""

from kernel.codes import code_matches


def test_a_code_matches_only_its_document():
    assert code_matches("7K3QX9", "7K3QX9")
    assert not code_matches("7K3QX9", "7K3QX8")
    assert not code_matches("7K3QX9", "")


def test_an_unknown_reference_matches_no_code_not_even_the_placeholder():
    for typed in ("------", "7K3QX9", ""):
        assert not code_matches(None, typed)
