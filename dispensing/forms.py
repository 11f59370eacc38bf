"""Forms of the dispensing side: orienting a patient to a dispenser."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kernel.forms import BootstrapFormMixin
from practitioners.models import DISPENSER_PROFESSIONS, User


class DispenserChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, supervising: frozenset[str], **kwargs) -> None:
        self.supervising = supervising
        super().__init__(*args, **kwargs)

    def label_from_instance(self, user: User) -> str:
        where = f" · {user.structure}" if user.structure_id else ""
        verdict = (
            _("peut encadrer ce niveau")
            if user.profession in self.supervising
            else _("ne peut pas encadrer ce niveau")
        )
        return f"{user.display_name} · {user.get_profession_display()}{where} — {verdict}"


class OrientationForm(BootstrapFormMixin, forms.Form):
    def __init__(self, *args, supervising: frozenset[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["professional"] = DispenserChoiceField(
            label=gettext_lazy("Intervenant en APA"),
            queryset=User.objects.filter(
                is_active=True, profession__in=sorted(DISPENSER_PROFESSIONS)
            )
            .select_related("structure")
            .order_by("last_name", "first_name"),
            empty_label=gettext_lazy("Choisissez un intervenant"),
            help_text=gettext_lazy(
                "Une limitation sévère ne peut être encadrée que par un professionnel de santé "
                "(masseur-kinésithérapeute, ergothérapeute, psychomotricien) ; pour les autres "
                "niveaux, le tableau d'encadrement de la structure s'applique."
            ),
            supervising=supervising,
        )
        self.fields["professional"].widget.attrs["class"] = "form-select"
