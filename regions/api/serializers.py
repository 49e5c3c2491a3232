"""Serializers of the regions API: output shape only (and the token request)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer

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


class TokenRequestSerializer(AuthTokenSerializer):
    """Username and password; answers the account's token."""

    # Bounded before authenticate(): django-axes records a failed username in a 255-character column.
    username = serializers.CharField(label=_("Имя пользователя"), max_length=150, write_only=True)
    password = serializers.CharField(
        label=_("Пароль"), max_length=4096, style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )
    token = None  # the answer is TokenSerializer; the request carries no token


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Передавайте в заголовке `Authorization: Token <token>`."))
