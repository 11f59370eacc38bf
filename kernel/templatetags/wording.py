"""Template filters of kernel.wording: `{{ patient.sex|born }}`, `{{ n|count_of:"patient" }}`,
`{{ n|count_of:"cheval,chevaux" }}`."""

from django import template

from kernel import wording

register = template.Library()


@register.filter
def born(sex: str | None) -> str:
    return wording.born(sex)


@register.filter
def count_of(count, forms: str) -> str:
    """`forms`: the singular, or « singular,plural » for an irregular plural."""
    singular, _, plural_form = forms.partition(",")
    return wording.count_of(int(count or 0), singular, plural_form or None)
