"""Serializers of the regions API: output shape only (and the token request)."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..choices import OrganisationKind
from ..models import Organisation, Region


class RegionSerializer(serializers.ModelSerializer):
    federal_district = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text=_("Код федерального округа, например ЦФО.")
    )

    class Meta:
        model = Region
        fields = ["code", "name", "federal_district", "pilot"]
        read_only_fields = fields


class OrganisationSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=OrganisationKind.choices, read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text=_("Код региона."))
    municipality = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True, help_text=_("Название муниципалитета.")
    )

    class Meta:
        model = Organisation
        fields = ["org_id", "name", "kind", "region", "municipality", "municipality_id", "diary_integrated"]
        read_only_fields = fields


class TokenRequestSerializer(serializers.Serializer):
    """Username and password; ``user`` in the validated data when they are right (through django-axes)."""

    # Bounded before authenticate(): django-axes records a failed username in a 255-character column.
    username = serializers.CharField(label=_("Имя пользователя"), max_length=150, write_only=True)
    password = serializers.CharField(
        label=_("Пароль"), max_length=4096, style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )

    def validate(self, attrs):
        # authenticate() answers None for a wrong password and for an inactive account alike.
        user = authenticate(request=self.context.get("request"), username=attrs["username"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(
                _("Невозможно войти с указанными именем пользователя и паролем."), code="authorization"
            )
        return {**attrs, "user": user}


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text=_(
            "Передавайте в заголовке `Authorization: Token <token>`. Выдаётся один раз: хранится только его хеш."
        )
    )
    expiry = serializers.DateTimeField(
        help_text=_("Когда токен перестанет действовать; раньше — при выходе, смене пароля или роли.")
    )
